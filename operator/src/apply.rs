//! Server-side apply of desired objects that writes only when something differs.
//!
//! Every object is first compared with the live one: when every field we set
//! already has our value ([`contains`]), nothing is sent, so a reconcile of an
//! object in its desired state issues no write and leaves every
//! `resourceVersion` unchanged. Otherwise it is applied with the one field
//! manager [`FIELD_MANAGER`], forcing ownership of our fields back (drift repair).

use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client};
use serde_json::Value;

use crate::FIELD_MANAGER;

/// What applying one object did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It did not exist and was created.
    Created,
    /// It existed and differed; our fields were applied.
    Updated,
    /// It already had every field we set: nothing was written.
    Unchanged,
}

/// Why an object could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The desired object has no `apiVersion`, `kind` or `metadata.name`.
    #[error("desired object lacks {0}")]
    Malformed(&'static str),
    /// The API server refused or failed.
    #[error("{verb} {kind} {name}: {source}")]
    Api {
        /// `get`, `apply` or `delete`.
        verb: &'static str,
        /// Kind of the object.
        kind: String,
        /// Name of the object.
        name: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
}

impl ApplyError {
    /// The API error behind this one, if any.
    pub fn kube_error(&self) -> Option<&kube::Error> {
        match self {
            Self::Api { source, .. } => Some(source.as_ref()),
            Self::Malformed(_) => None,
        }
    }
}

/// `kind/name` of a desired object, for events and logs.
pub fn describe(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// The dynamic API of a desired object's kind in `namespace`.
pub fn api_for(
    client: &Client,
    namespace: &str,
    object: &Value,
) -> Result<Api<DynamicObject>, ApplyError> {
    let api_version = object["apiVersion"]
        .as_str()
        .ok_or(ApplyError::Malformed("apiVersion"))?;
    let kind = object["kind"]
        .as_str()
        .ok_or(ApplyError::Malformed("kind"))?;
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    Ok(Api::namespaced_with(client.clone(), namespace, &resource))
}

/// Applies `desired` unless the live object already contains it.
pub async fn apply(
    client: &Client,
    namespace: &str,
    desired: &Value,
) -> Result<Outcome, ApplyError> {
    let api = api_for(client, namespace, desired)?;
    let name = desired["metadata"]["name"]
        .as_str()
        .ok_or(ApplyError::Malformed("metadata.name"))?;
    let api_error = |verb, source| ApplyError::Api {
        verb,
        kind: desired["kind"].as_str().unwrap_or("?").to_string(),
        name: name.to_string(),
        source: Box::new(source),
    };
    let live = api.get_opt(name).await.map_err(|e| api_error("get", e))?;
    let outcome = match &live {
        Some(live) => {
            let live = serde_json::to_value(live).unwrap_or(Value::Null);
            if contains(desired, &live) {
                return Ok(Outcome::Unchanged);
            }
            Outcome::Updated
        }
        None => Outcome::Created,
    };
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(name, &params, &Patch::Apply(desired))
        .await
        .map_err(|e| api_error("apply", e))?;
    Ok(outcome)
}

/// Deletes `name` of `object`'s kind if it exists and is controlled by `owner_uid`.
///
/// Used for optional objects the spec no longer asks for (an Ingress removed from
/// the spec); objects of the same name that someone else owns are left alone.
pub async fn delete_if_owned(
    client: &Client,
    namespace: &str,
    object: &Value,
    owner_uid: &str,
) -> Result<bool, ApplyError> {
    let api = api_for(client, namespace, object)?;
    let name = object["metadata"]["name"]
        .as_str()
        .ok_or(ApplyError::Malformed("metadata.name"))?;
    let api_error = |verb, source| ApplyError::Api {
        verb,
        kind: object["kind"].as_str().unwrap_or("?").to_string(),
        name: name.to_string(),
        source: Box::new(source),
    };
    let Some(live) = api.get_opt(name).await.map_err(|e| api_error("get", e))? else {
        return Ok(false);
    };
    let owned = live
        .metadata
        .owner_references
        .iter()
        .flatten()
        .any(|r| r.uid == owner_uid && r.controller == Some(true));
    if !owned {
        return Ok(false);
    }
    api.delete(name, &DeleteParams::background())
        .await
        .map_err(|e| api_error("delete", e))?;
    Ok(true)
}

/// True when every field set in `desired` has the same value in `live`.
///
/// Fields only `live` has (server defaults, other managers' fields, status) do
/// not matter; lists must have the same length and match element by element.
pub fn contains(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Null, _) => true,
        (Value::Object(want), Value::Object(have)) => want.iter().all(|(key, value)| {
            value.is_null() || have.get(key).is_some_and(|h| contains(value, h))
        }),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| contains(w, h))
        }
        (Value::Number(want), Value::Number(have)) => want.as_f64() == have.as_f64(),
        (want, have) => want == have,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn server_defaults_do_not_count_as_differences() {
        let desired = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "api"}]}}}});
        let live = json!({"spec": {"replicas": 2, "revisionHistoryLimit": 10,
            "template": {"spec": {"containers": [{"name": "api", "imagePullPolicy": "IfNotPresent"}]}}}});
        assert!(contains(&desired, &live));
    }

    #[test]
    fn a_changed_or_missing_field_is_a_difference() {
        let desired = json!({"spec": {"replicas": 2, "selector": {"app": "ogf"}}});
        assert!(!contains(
            &desired,
            &json!({"spec": {"replicas": 3, "selector": {"app": "ogf"}}})
        ));
        assert!(!contains(&desired, &json!({"spec": {"replicas": 2}})));
    }

    #[test]
    fn lists_must_match_in_length_and_order() {
        let desired = json!({"ports": [{"port": 80}, {"port": 443}]});
        assert!(!contains(&desired, &json!({"ports": [{"port": 80}]})));
        assert!(!contains(
            &desired,
            &json!({"ports": [{"port": 443}, {"port": 80}]})
        ));
        assert!(contains(
            &desired,
            &json!({"ports": [{"port": 80, "protocol": "TCP"}, {"port": 443}]})
        ));
    }

    #[test]
    fn numbers_compare_by_value_and_nulls_are_ignored() {
        assert!(contains(&json!({"a": 1, "b": null}), &json!({"a": 1.0})));
    }

    #[test]
    fn describe_and_api_for_read_the_type() {
        let object =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "m-blue"}});
        assert_eq!(describe(&object), "Deployment/m-blue");
        let core = json!({"apiVersion": "v1", "kind": "Service"});
        assert_eq!(describe(&core), "Service/?");
    }
}
