//! Sender allow-lists: the networks a source accepts requests from.
//!
//! The address checked is the one AWS records for the connection (API
//! Gateway's or the Function URL's `sourceIp`, the entry an ALB appends to
//! `X-Forwarded-For`), never a hop the client wrote itself.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

/// The networks a source accepts; empty means any sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// Parses CIDRs (`203.0.113.0/24`, `2001:db8::/32`) or single addresses.
    /// A CIDR with host bits set is refused: `203.0.113.7/24` is more likely
    /// a typo than a wish for the whole network. An IPv4-mapped entry
    /// (`::ffff:203.0.113.7`, `::ffff:203.0.113.0/120`) is kept as the IPv4
    /// network it names, since senders are compared as IPv4.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, (usize, String)> {
        let mut networks = Vec::new();
        for (index, entry) in entries.into_iter().enumerate() {
            let entry = entry.trim();
            let network = if entry.contains('/') {
                let network: IpNet = entry.parse().map_err(|_| {
                    (
                        index,
                        "expected a CIDR such as 203.0.113.0/24 or 2001:db8::/32".to_owned(),
                    )
                })?;
                if network.trunc() != network {
                    return Err((
                        index,
                        format!("host bits set; the network is {}", network.trunc()),
                    ));
                }
                network
            } else {
                let address: IpAddr = entry.parse().map_err(|_| {
                    (
                        index,
                        "expected an IP address or a CIDR such as 203.0.113.0/24".to_owned(),
                    )
                })?;
                IpNet::from(address)
            };
            networks.push(as_ipv4(network));
        }
        Ok(Self(networks))
    }

    /// True when any sender is accepted.
    pub fn is_open(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `sender` may deliver. An unknown sender passes only an open list.
    /// IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`) count as IPv4.
    pub fn allows(&self, sender: Option<IpAddr>) -> bool {
        if self.is_open() {
            return true;
        }
        let Some(sender) = sender.map(|ip| ip.to_canonical()) else {
            return false;
        };
        self.0.iter().any(|network| network.contains(&sender))
    }
}

/// An IPv6 network inside `::ffff:0:0/96` as the IPv4 network it maps.
fn as_ipv4(network: IpNet) -> IpNet {
    match network {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
            .addr()
            .to_ipv4_mapped()
            .and_then(|v4| Ipv4Net::new(v4, v6.prefix_len() - 96).ok())
            .map_or(network, IpNet::V4),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(entries.iter().copied()).unwrap()
    }

    #[test]
    fn networks_and_single_addresses() {
        let allow = list(&["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(allow.allows(ip("203.0.113.200")));
        assert!(allow.allows(ip("2001:db8:1::5")));
        assert!(allow.allows(ip("198.51.100.7")));
        assert!(allow.allows(ip("::ffff:203.0.113.9")));
        assert!(!allow.allows(ip("198.51.100.8")));
        assert!(!allow.allows(ip("203.0.114.1")));
        assert!(!allow.allows(ip("2001:db9::1")));
        assert!(!allow.allows(None));
        assert!(AllowList::default().allows(None));
    }

    #[test]
    fn ipv4_mapped_entries_name_ipv4_networks() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        for entries in [
            &["::ffff:203.0.113.7"][..],
            &["::ffff:203.0.113.7/128"],
            &["::FFFF:cb00:7107"],
        ] {
            let allow = list(entries);
            assert!(allow.allows(ip("203.0.113.7")), "{entries:?}");
            assert!(allow.allows(ip("::ffff:203.0.113.7")), "{entries:?}");
            assert!(!allow.allows(ip("203.0.113.8")), "{entries:?}");
        }
        let allow = list(&["::ffff:203.0.113.0/120"]);
        assert!(allow.allows(ip("203.0.113.200")));
        assert!(!allow.allows(ip("203.0.114.1")));
        assert_eq!(list(&["::ffff:0:0/96"]), list(&["0.0.0.0/0"]));
        // Host bits are judged as written.
        assert!(AllowList::parse(["::ffff:203.0.113.7/120"]).is_err());
        // Wider than the mapped range: IPv6 senders only, as written.
        assert!(!list(&["::/64"]).allows(ip("203.0.113.7")));
    }

    #[test]
    fn malformed_entries_are_refused_with_their_index() {
        for (entries, index) in [
            (&["10.0.0.0/8", "10.0.0.0/33"][..], 1),
            (&["300.1.1.1"], 0),
            (&["10.0.0.1/8"], 0),
            (&["", "10.0.0.0/8"], 0),
            (&["10.0.0.0/8", "fe80::/129"], 1),
            (&["example.com"], 0),
        ] {
            let (at, _) = AllowList::parse(entries.iter().copied()).unwrap_err();
            assert_eq!(at, index, "{entries:?}");
        }
    }
}
