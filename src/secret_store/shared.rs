//! Sources that turn out to share a secret once a store's values arrive.
//!
//! The path that picks a source is not signed: the secret is all that binds
//! a request to its source. Init warns about the sharing it can see (one
//! reference named twice, `env:` variables holding one value); a value that
//! two store references hold, or that a store and a variable both hold, is
//! only known here, when the store answers.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use super::StoreRef;
use crate::secret::Secret;

/// A secret's place in the configuration: its source and index in `secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner {
    /// The source's name (not secret).
    pub source: String,
    /// The index in that source's `secrets` list.
    pub field: usize,
}

/// Who holds which secret: each store reference's owners, and the values
/// known at init with theirs.
#[derive(Default)]
pub struct SecretOwners {
    /// One entry per time a reference is named.
    pub stored: Vec<(StoreRef, Owner)>,
    /// Values known at init (literal or `env:`).
    pub known: Vec<(Owner, Secret)>,
}

/// Compares each store reference's values, as they arrive, with the values
/// known at init and the other references' latest values, to name each pair
/// of sources found sharing one (by their fields, never a value). The
/// secret cache logs what it finds ([`warn`]), after releasing the
/// reference's lock.
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
    /// Per pair of sources, the fields of each already named, so a refresh
    /// does not repeat them.
    reported: HashMap<(String, String), [BTreeSet<usize>; 2]>,
}

impl SharedValues {
    /// `slots[i]`: the owners of slot `i`; `fixed`: init-known values.
    pub fn new(slots: Vec<Vec<Owner>>, fixed: Vec<(Owner, Secret)>) -> Self {
        let fixed = (fixed.into_iter())
            .map(|(owner, value)| (owner, comparable(&value)))
            .collect();
        let state = State {
            latest: vec![None; slots.len()],
            reported: HashMap::new(),
        };
        Self {
            slots,
            fixed,
            state: Mutex::new(state),
        }
    }

    /// Records slot `slot`'s new values; returns, once per pair of sources,
    /// the fields of each newly found sharing a value with the other, as
    /// `"<source>" secrets[<i>, …]` labels for the caller to log.
    pub fn observe(&self, slot: usize, values: &[Secret]) -> Vec<[String; 2]> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(owners) = self.slots.get(slot) else {
            return Vec::new();
        };
        let values: Vec<Secret> = values.iter().map(comparable).collect();
        let known = (self.fixed.iter())
            .filter(|(_, value)| values.contains(value))
            .map(|(owner, _)| owner);
        let stored = (state.latest.iter().enumerate())
            .filter(|&(other, latest)| {
                other != slot
                    && latest
                        .as_ref()
                        .is_some_and(|latest| latest.iter().any(|value| values.contains(value)))
            })
            .flat_map(|(other, _)| &self.slots[other]);
        let found = between(known.chain(stored), owners);
        state.latest[slot] = Some(values);
        let reported = &mut state.reported;
        let mut named = Vec::new();
        for ((a, b), fields) in group(found) {
            let before = reported.entry((a.to_owned(), b.to_owned())).or_default();
            // Named again only with a field not named before, and then with
            // every field this answer shows the pair sharing.
            let new = (fields.iter().zip(before.iter())).any(|(now, named)| !now.is_subset(named));
            if new {
                for (now, named) in fields.iter().zip(before.iter_mut()) {
                    named.extend(now);
                }
                named.push(label((a, b), fields));
            }
        }
        named
    }
}

/// One key's text as two sources holding it would write it (a Standard
/// Webhooks key with or without its padding is one key).
fn comparable(value: &Secret) -> Secret {
    Secret::new(crate::verify::standard_webhooks::key_text(value.expose()))
}

/// Pairs of fields, one from `left` and one from another source in `right`
/// (all holding one value), enough for [`name_pairs`] to name every field
/// of each pair of sources: each field with the other source's first one,
/// not every combination, so a source naming one value many times costs
/// its number of fields, not their product.
pub fn between<'a>(
    left: impl IntoIterator<Item = &'a Owner>,
    right: impl IntoIterator<Item = &'a Owner>,
) -> Vec<(&'a Owner, &'a Owner)> {
    let by_source = |owners: &mut dyn Iterator<Item = &'a Owner>| {
        let mut groups = BTreeMap::<&str, Vec<&'a Owner>>::new();
        for owner in owners {
            groups.entry(&owner.source).or_default().push(owner);
        }
        groups
    };
    let (left, right) = (
        by_source(&mut left.into_iter()),
        by_source(&mut right.into_iter()),
    );
    let mut found = Vec::new();
    for (a, theirs) in &left {
        for (b, mine) in &right {
            if a != b {
                found.extend(theirs.iter().map(|&t| (t, mine[0])));
                found.extend(mine.iter().map(|&m| (theirs[0], m)));
            }
        }
    }
    found
}

/// Each pair of sources in `found` (pairs of fields holding one value), in
/// name order, as `"<source>" secrets[<i>, …]` labels naming every field of
/// each. Fields of one source are rotation, not sharing.
pub fn name_pairs<'a>(found: impl IntoIterator<Item = (&'a Owner, &'a Owner)>) -> Vec<[String; 2]> {
    group(found)
        .into_iter()
        .map(|(pair, fields)| label(pair, fields))
        .collect()
}

/// Pairs of sources in `found`, in name order, with the fields of each.
fn group<'a>(
    found: impl IntoIterator<Item = (&'a Owner, &'a Owner)>,
) -> BTreeMap<(&'a str, &'a str), [BTreeSet<usize>; 2]> {
    let mut pairs = BTreeMap::<(&str, &str), [BTreeSet<usize>; 2]>::new();
    for (a, b) in found {
        // One order per pair of sources, whichever side was found first.
        let (a, b) = match a.source.cmp(&b.source) {
            Ordering::Equal => continue,
            Ordering::Less => (a, b),
            Ordering::Greater => (b, a),
        };
        let [first, second] = pairs.entry((&a.source, &b.source)).or_default();
        first.insert(a.field);
        second.insert(b.field);
    }
    pairs
}

/// A pair of sources as `"<source>" secrets[<i>, …]` labels.
fn label((a, b): (&str, &str), [first, second]: [BTreeSet<usize>; 2]) -> [String; 2] {
    let one = |source: &str, fields: BTreeSet<usize>| {
        let fields: Vec<String> = fields.iter().map(usize::to_string).collect();
        format!("\"{source}\" secrets[{}]", fields.join(", "))
    };
    [one(a, first), one(b, second)]
}

/// Pairs named one per line by [`warn`]; the rest are counted in one more
/// line, so many sources on one value do not log thousands of lines at
/// every cold start.
const MAX_NAMED_PAIRS: usize = 16;

/// One `WARN` per pair, up to [`MAX_NAMED_PAIRS`]; `seen_in`: the sources
/// document at init, or the store reference whose answer showed it. Never a
/// value.
pub fn warn(pairs: Vec<[String; 2]>, seen_in: &dyn std::fmt::Display) {
    let more = pairs.len().saturating_sub(MAX_NAMED_PAIRS);
    if more > 0 {
        tracing::warn!(
            seen_in = %seen_in,
            unnamed_pairs = more,
            "more pairs of sources share a secret than are named here; give each source its own"
        );
    }
    for [first, second] in pairs.into_iter().take(MAX_NAMED_PAIRS) {
        tracing::warn!(
            seen_in = %seen_in,
            first = %first,
            second = %second,
            "two sources share a secret (or, under oauth2, accept the same tokens): the path \
             that picks a source is not signed, so a \
             request accepted by one is accepted by the other too (under basic or bearer, a \
             captured request is the credential for both); give each source its own"
        );
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
        // The same again (a refresh): not again.
        assert!(watch.observe(0, &values(&["hunter2-shared"])).is_empty());
        // Another reference holding slot 0's value: each pair of sources.
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
        // Slot 1 changing while still sharing with slot 0: already reported,
        // whichever side reports it.
        assert!(watch.observe(1, &values(&["hunter2-shared"])).is_empty());
    }

    #[test]
    fn every_shared_field_of_a_pair_is_named_even_when_found_later() {
        let watch = SharedValues::new(
            vec![
                vec![owner("b", 0)],
                vec![owner("b", 1)],
                vec![owner("b", 2)],
            ],
            vec![
                (owner("a", 0), Secret::new("one")),
                (owner("a", 1), Secret::new("two")),
                (owner("a", 2), Secret::new("three")),
            ],
        );
        assert!(watch.observe(0, &values(&["zero"])).is_empty());
        // One store value holding two of a's: one label naming both.
        assert_eq!(
            watch.observe(0, &values(&["one", "two"])),
            [[r#""a" secrets[0, 1]"#, r#""b" secrets[0]"#]]
        );
        // Another field of the same pair, found later: named then.
        assert_eq!(
            watch.observe(2, &values(&["three"])),
            [[r#""a" secrets[2]"#, r#""b" secrets[2]"#]]
        );
        assert!(watch.observe(1, &values(&["four"])).is_empty());
    }

    #[test]
    fn a_pair_found_both_ways_round_is_named_once() {
        // b's stored value is a's and also b's own env: value, which a
        // names too: found as (a, b) and as (b, a).
        let watch = SharedValues::new(
            vec![vec![owner("a", 0), owner("b", 0)]],
            vec![
                (owner("a", 1), Secret::new("v")),
                (owner("b", 1), Secret::new("v")),
            ],
        );
        assert_eq!(
            watch.observe(0, &values(&["v"])),
            [[r#""a" secrets[0, 1]"#, r#""b" secrets[0, 1]"#]]
        );
    }

    #[test]
    fn across_refreshes_a_pair_is_named_again_only_with_a_new_field() {
        // b names the reference twice; a's two values are known at init.
        let watch = SharedValues::new(
            vec![vec![owner("b", 0), owner("b", 1)]],
            vec![
                (owner("a", 0), Secret::new("v")),
                (owner("a", 1), Secret::new("u")),
            ],
        );
        assert_eq!(
            watch.observe(0, &values(&["v", "u"])),
            [[r#""a" secrets[0, 1]"#, r#""b" secrets[0, 1]"#]]
        );
        // Fewer shared fields: nothing new.
        assert!(watch.observe(0, &values(&["u"])).is_empty());
        // a names a reference twice; b's values become shared one by one.
        let watch = SharedValues::new(
            vec![vec![owner("a", 0), owner("a", 1)]],
            vec![
                (owner("b", 0), Secret::new("v")),
                (owner("b", 1), Secret::new("w")),
            ],
        );
        assert_eq!(
            watch.observe(0, &values(&["v"])),
            [[r#""a" secrets[0, 1]"#, r#""b" secrets[0]"#]]
        );
        assert_eq!(
            watch.observe(0, &values(&["v", "w"])),
            [[r#""a" secrets[0, 1]"#, r#""b" secrets[0, 1]"#]]
        );
    }

    #[test]
    fn a_standard_webhooks_key_with_and_without_its_padding_is_one_key() {
        let key = "whsec_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4";
        let watch = SharedValues::new(
            vec![vec![owner("b", 0)]],
            vec![(owner("a", 0), Secret::new(format!("{key}=")))],
        );
        assert_eq!(
            watch.observe(0, &values(&[key])),
            [[r#""a" secrets[0]"#, r#""b" secrets[0]"#]]
        );
    }

    #[test]
    fn many_fields_of_two_sources_give_one_pair_per_field_not_their_product() {
        let a: Vec<Owner> = (0..50).map(|field| owner("a", field)).collect();
        let b: Vec<Owner> = (0..50).map(|field| owner("b", field)).collect();
        let both: Vec<Owner> = a.iter().chain(&b).cloned().collect();
        let found = between(&both, &both);
        assert_eq!(found.len(), 200, "each field twice per order, not 50 × 50");
        let all: Vec<String> = (0..50).map(|f| f.to_string()).collect();
        let all = all.join(", ");
        assert_eq!(
            name_pairs(found),
            [[
                format!(r#""a" secrets[{all}]"#),
                format!(r#""b" secrets[{all}]"#)
            ]]
        );
    }

    #[test]
    fn many_pairs_are_named_up_to_a_bound_and_the_rest_counted() {
        let captured = crate::logging::Captured::default();
        let _guard = captured.install("warn", false);
        let pairs: Vec<[String; 2]> = (0..MAX_NAMED_PAIRS + 5)
            .map(|n| {
                [
                    format!("\"a{n}\" secrets[0]"),
                    format!("\"b{n}\" secrets[0]"),
                ]
            })
            .collect();
        warn(pairs, &"HOOKLINE_SOURCES");
        let logs = captured.text();
        assert_eq!(logs.lines().count(), MAX_NAMED_PAIRS + 1, "{logs}");
        assert!(logs.contains("unnamed_pairs=5"), "{logs}");
        assert!(!logs.contains(&format!("a{MAX_NAMED_PAIRS}")), "{logs}");
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
