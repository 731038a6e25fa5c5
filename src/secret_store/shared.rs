//! Sources that turn out to share a secret once a store's values arrive.
//!
//! The path that picks a source is not signed: the secret is all that binds
//! a request to its source. Init warns about the sharing it can see (one
//! reference named twice, `env:` variables holding one value); a value that
//! two store references hold, or that a store and a variable both hold, is
//! only known here, when the store answers.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::secret::Secret;

/// A secret's place in the configuration: its source and index in `secrets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The source's name (not secret).
    pub source: String,
    /// The index in that source's `secrets` list.
    pub field: usize,
}

impl Owner {
    /// `"<source>" secrets[<field>]`, as init's warning names a field.
    fn label(&self) -> String {
        format!("\"{}\" secrets[{}]", self.source, self.field)
    }
}

/// Compares each store reference's values, as they arrive, with the values
/// known at init and the other references' latest values; warns once per
/// pair of sources, naming their fields and never a value.
pub struct SharedValues {
    /// Per slot (a reference fetched once however often it is named): who names it.
    slots: Vec<Vec<Owner>>,
    /// Values known at init, with their owners.
    fixed: Vec<(Owner, Secret)>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per slot, its latest values.
    latest: Vec<Option<Vec<Secret>>>,
    /// Source pairs already warned about (name order).
    warned: HashSet<(String, String)>,
}

impl SharedValues {
    /// `slots[i]`: the owners of slot `i`; `fixed`: init-known values.
    pub fn new(slots: Vec<Vec<Owner>>, fixed: Vec<(Owner, Secret)>) -> Self {
        let state = State {
            latest: vec![None; slots.len()],
            warned: HashSet::new(),
        };
        Self {
            slots,
            fixed,
            state: Mutex::new(state),
        }
    }

    /// Records slot `slot`'s new values and warns about each pair of sources
    /// found sharing one for the first time; returns those pairs' labels.
    pub fn observe(&self, slot: usize, values: &[Secret]) -> Vec<[String; 2]> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(owners) = self.slots.get(slot) else {
            return Vec::new();
        };
        let mut found: Vec<(&Owner, &Owner)> = Vec::new();
        for (owner, value) in &self.fixed {
            if values.contains(value) {
                found.extend(owners.iter().map(|mine| (owner, mine)));
            }
        }
        for (other, latest) in state.latest.iter().enumerate() {
            if other != slot
                && let Some(latest) = latest
                && latest.iter().any(|value| values.contains(value))
            {
                for theirs in &self.slots[other] {
                    found.extend(owners.iter().map(|mine| (theirs, mine)));
                }
            }
        }
        state.latest[slot] = Some(values.to_vec());
        let mut pairs = Vec::new();
        for (a, b) in found {
            if a.source == b.source {
                continue;
            }
            let key = if a.source < b.source {
                (a.source.clone(), b.source.clone())
            } else {
                (b.source.clone(), a.source.clone())
            };
            if state.warned.insert(key) {
                let (first, second) = (a.label(), b.label());
                tracing::warn!(
                    first = %first,
                    second = %second,
                    "two sources share a secret value (seen when a secret store answered): the \
                     path that picks a source is not signed, so a request accepted by one is \
                     accepted by the other too; give each source its own"
                );
                pairs.push([first, second]);
            }
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(source: &str, field: usize) -> Owner {
        Owner {
            source: source.into(),
            field,
        }
    }

    fn values(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|v| Secret::new(*v)).collect()
    }

    #[test]
    fn a_store_value_shared_with_init_values_or_another_store_is_named_once() {
        let captured = crate::logging::Captured::default();
        let _guard = captured.install("warn", false);
        let watch = SharedValues::new(
            vec![
                vec![owner("b", 0)],
                vec![owner("c", 1), owner("d", 0)],
                vec![owner("e", 0)],
            ],
            vec![(owner("a", 0), Secret::new("hunter2-shared"))],
        );
        // A value an `env:` variable of another source holds.
        assert_eq!(
            watch.observe(0, &values(&["hunter2-shared", "x"])),
            [[r#""a" secrets[0]"#, r#""b" secrets[0]"#]]
        );
        // The same again (a refresh): no second warning.
        assert!(watch.observe(0, &values(&["hunter2-shared"])).is_empty());
        // Another reference holding slot 0's value: one warning per source pair.
        assert_eq!(
            watch.observe(1, &values(&["y", "hunter2-shared"])),
            [
                [r#""a" secrets[0]"#, r#""c" secrets[1]"#],
                [r#""a" secrets[0]"#, r#""d" secrets[0]"#],
                [r#""b" secrets[0]"#, r#""c" secrets[1]"#],
                [r#""b" secrets[0]"#, r#""d" secrets[0]"#],
            ]
        );
        // Distinct values: nothing.
        assert!(watch.observe(2, &values(&["z"])).is_empty());
        // Rotated into sharing later: found then.
        assert_eq!(
            watch.observe(2, &values(&["z", "y"])),
            [
                [r#""c" secrets[1]"#, r#""e" secrets[0]"#],
                [r#""d" secrets[0]"#, r#""e" secrets[0]"#]
            ]
        );
        let logs = captured.text();
        assert_eq!(logs.lines().count(), 7, "{logs}");
        assert!(!logs.contains("hunter2"), "{logs}");
    }

    #[test]
    fn one_source_naming_one_value_twice_is_rotation_not_sharing() {
        let watch = SharedValues::new(
            vec![vec![owner("a", 1)], vec![owner("a", 2)]],
            vec![(owner("a", 0), Secret::new("v"))],
        );
        assert!(watch.observe(0, &values(&["v"])).is_empty());
        assert!(watch.observe(1, &values(&["v"])).is_empty());
    }
}
