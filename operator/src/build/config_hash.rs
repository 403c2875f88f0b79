//! The `ogf.dev/config-hash` pod annotation: changes whenever the pods' configuration does.

use std::collections::BTreeMap;

use ogf_crds::marketplace::SecretKeyRef;
use sha2::{Digest, Sha256};

/// Annotation on the pod template carrying [`config_hash`].
pub const ANNOTATION: &str = "ogf.dev/config-hash";

/// SHA-256 (hex) over the ConfigMap data and the referenced secret keys, in a stable order.
pub fn config_hash(
    config_data: &BTreeMap<String, String>,
    secret_refs: &[&SecretKeyRef],
) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in config_data {
        field(&mut hasher, "config", key, value);
    }
    let mut refs: Vec<_> = secret_refs.to_vec();
    refs.sort();
    for secret in refs {
        field(&mut hasher, "secret", &secret.name, &secret.key);
    }
    hex(&hasher.finalize())
}

/// Feeds one length-prefixed record, so that no two different inputs hash the same stream.
fn field(hasher: &mut Sha256, kind: &str, a: &str, b: &str) {
    for part in [kind, a, b] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(level: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("OGF_LOG_LEVEL".to_string(), level.to_string())])
    }

    fn secret(name: &str, key: &str) -> SecretKeyRef {
        SecretKeyRef {
            name: name.into(),
            key: key.into(),
        }
    }

    #[test]
    fn stable_for_equal_inputs() {
        let (a, b) = (secret("m", "uri"), secret("j", "key"));
        let hash = config_hash(&data("info"), &[&a, &b]);
        assert_eq!(hash.len(), 64);
        assert_eq!(
            hash,
            config_hash(&data("info"), &[&b, &a]),
            "order of refs does not matter"
        );
    }

    #[test]
    fn changes_with_config_and_refs() {
        let a = secret("m", "uri");
        let base = config_hash(&data("info"), &[&a]);
        assert_ne!(base, config_hash(&data("debug"), &[&a]));
        assert_ne!(base, config_hash(&data("info"), &[&secret("m", "url")]));
        assert_ne!(base, config_hash(&data("info"), &[]));
    }

    #[test]
    fn records_do_not_run_together() {
        let joined = BTreeMap::from([("ab".to_string(), "c".to_string())]);
        let split = BTreeMap::from([("a".to_string(), "bc".to_string())]);
        assert_ne!(config_hash(&joined, &[]), config_hash(&split, &[]));
    }
}
