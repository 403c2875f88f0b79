//! Where Rollout checks may send requests (SSRF protection).
//!
//! A Rollout names HTTP check URLs and Prometheus addresses that the operator fetches from
//! inside the cluster, with the operator's network position. Whoever may create Rollouts could
//! otherwise make it probe cloud metadata endpoints, the API server or any internal service.
//! The operator only fetches URLs whose host is on an allow-list (`--allowed-check-targets`),
//! never follows redirects, and never connects to an always-denied address
//! ([`address::always_denied`]) unless an IP or CIDR entry names it explicitly.

pub mod address;
pub mod resolver;

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use reqwest::Url;

pub use resolver::GuardedResolver;

/// The allow-list used when none is configured: Services of the cluster, by DNS name.
pub const DEFAULT_ALLOWED: [&str; 2] = ["*.svc", "*.svc.cluster.local"];

/// Names of the Kubernetes API server's own Service: never a check target, whatever the list.
const API_SERVER_NAMES: [&str; 4] = [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];

/// One allow-list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// `*.suffix`: any host name ending in `.suffix`.
    Suffix(String),
    /// An exact host name.
    Host(String),
    /// An IP address or a CIDR block; also lifts the always-denied rule for what it covers.
    Net(IpNet),
}

/// The allow-list of check targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckTargets {
    entries: Vec<Entry>,
    /// The API server's Service address (`KUBERNETES_SERVICE_HOST`), denied like the names.
    api_server: Option<IpAddr>,
}

/// Why a check target is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{target}: {why}")]
pub struct NotAllowed {
    /// The URL or address refused.
    pub target: String,
    /// Why.
    pub why: String,
}

/// An allow-list entry that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid check target {0:?}: expected a host name, `*.domain`, an IP address or a CIDR block"
)]
pub struct InvalidEntry(pub String);

impl Default for CheckTargets {
    fn default() -> Self {
        Self::parse(DEFAULT_ALLOWED).expect("the default allow-list parses")
    }
}

impl CheckTargets {
    /// Reads allow-list entries; an empty list means [`DEFAULT_ALLOWED`].
    pub fn parse<I, S>(entries: I) -> Result<Self, InvalidEntry>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parsed = Vec::new();
        for entry in entries {
            let text = entry.as_ref().trim();
            if text.is_empty() {
                continue;
            }
            parsed.push(parse_entry(text).ok_or_else(|| InvalidEntry(text.to_string()))?);
        }
        if parsed.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self {
            entries: parsed,
            api_server: std::env::var("KUBERNETES_SERVICE_HOST")
                .ok()
                .and_then(|h| h.parse().ok()),
        })
    }

    /// This list with `addr` denied as the API server's address.
    pub fn with_api_server(mut self, addr: Option<IpAddr>) -> Self {
        self.api_server = addr;
        self
    }

    /// The URL, parsed, when the operator may fetch it: `http` or `https`, no credentials, a
    /// host on the allow-list, and not an always-denied address (checked without DNS; the
    /// addresses a name resolves to are checked by [`GuardedResolver`] at connect time).
    pub fn check_url(&self, url: &str) -> Result<Url, NotAllowed> {
        let refuse = |why: &str| NotAllowed {
            target: url.to_string(),
            why: why.to_string(),
        };
        let parsed = Url::parse(url).map_err(|e| refuse(&format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refuse("only http and https are allowed"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(refuse("credentials in the URL are not allowed"));
        }
        let verdict = match parsed.host() {
            None => return Err(refuse("no host")),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => self.check_name(name),
        };
        match verdict {
            Ok(()) => Ok(parsed),
            Err(e) => Err(refuse(&e.why)),
        }
    }

    /// Whether the operator may connect to `ip`: on the list (a literal address) and not
    /// always denied unless an IP or CIDR entry names it.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), NotAllowed> {
        let ip = address::canonical(ip);
        let refuse = |why: String| NotAllowed {
            target: ip.to_string(),
            why,
        };
        if Some(ip) == self.api_server.map(address::canonical) {
            return Err(refuse(
                "the Kubernetes API server is never a check target".into(),
            ));
        }
        if self.explicitly_allows(ip) {
            return Ok(());
        }
        if let Some(kind) = address::always_denied(ip) {
            return Err(refuse(format!(
                "{kind} addresses are denied unless an IP or CIDR entry of \
                 --allowed-check-targets names them"
            )));
        }
        Err(refuse(
            "not on the allow-list (--allowed-check-targets / OGF_ALLOWED_CHECK_TARGETS)".into(),
        ))
    }

    /// Whether an address a host name resolved to may be connected to: anything but the
    /// always-denied ranges (unless listed) and the API server.
    pub fn check_resolved(&self, ip: IpAddr) -> Result<(), NotAllowed> {
        let ip = address::canonical(ip);
        if Some(ip) == self.api_server.map(address::canonical) {
            return Err(NotAllowed {
                target: ip.to_string(),
                why: "the Kubernetes API server is never a check target".into(),
            });
        }
        match address::always_denied(ip) {
            Some(kind) if !self.explicitly_allows(ip) => Err(NotAllowed {
                target: ip.to_string(),
                why: format!("resolves to a {kind} address, which is denied"),
            }),
            _ => Ok(()),
        }
    }

    /// Whether the host name `name` is on the list.
    fn check_name(&self, name: &str) -> Result<(), NotAllowed> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let refuse = |why: &str| NotAllowed {
            target: name.clone(),
            why: why.to_string(),
        };
        if API_SERVER_NAMES.contains(&name.as_str()) || name.starts_with("kubernetes.default.") {
            return Err(refuse("the Kubernetes API server is never a check target"));
        }
        if name == "localhost" || name.ends_with(".localhost") {
            return Err(refuse("loopback names are denied"));
        }
        let listed = self.entries.iter().any(|entry| match entry {
            Entry::Suffix(suffix) => name
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            Entry::Host(host) => *host == name,
            Entry::Net(_) => false,
        });
        if listed {
            Ok(())
        } else {
            Err(refuse(
                "not on the allow-list (--allowed-check-targets / OGF_ALLOWED_CHECK_TARGETS)",
            ))
        }
    }

    fn explicitly_allows(&self, ip: IpAddr) -> bool {
        self.entries.iter().any(|entry| match entry {
            Entry::Net(net) => net.contains(&ip),
            _ => false,
        })
    }
}

impl fmt::Display for CheckTargets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|entry| match entry {
                Entry::Suffix(suffix) => format!("*.{suffix}"),
                Entry::Host(host) => host.clone(),
                Entry::Net(net) => net.to_string(),
            })
            .collect();
        f.write_str(&entries.join(","))
    }
}

fn parse_entry(text: &str) -> Option<Entry> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(Entry::Net(net.trunc()));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(Entry::Net(IpNet::from(address::canonical(ip))));
    }
    let lower = text.trim_end_matches('.').to_ascii_lowercase();
    let (suffix, name) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest.to_string()),
        None => (false, lower),
    };
    let valid = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    match (valid, suffix) {
        (false, _) => None,
        (true, true) => Some(Entry::Suffix(name)),
        (true, false) => Some(Entry::Host(name)),
    }
}

#[cfg(test)]
mod tests;
