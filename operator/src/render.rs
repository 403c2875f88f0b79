//! `ogf-operator render`: a Marketplace manifest in, the objects the operator would apply out,
//! as multi-document YAML for review and GitOps diffs.

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use ogf_crds::{Color, Marketplace};
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::build;
use crate::error::BuildError;

/// Placeholder for the uid the API server assigns, used in rendered owner references.
pub const UID_PLACEHOLDER: &str = "00000000-0000-0000-0000-000000000000";

/// Choices of the render command.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderOptions {
    /// Namespace for Marketplaces whose manifest has none.
    pub namespace: String,
    /// Color the active Service selects.
    pub active_color: Color,
    /// Render the ServiceMonitor as if the `monitoring.coreos.com/v1` API existed.
    pub service_monitor_api: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            namespace: "default".into(),
            active_color: Color::Blue,
            service_monitor_api: true,
        }
    }
}

/// The rendered YAML and notes for the reader about what it leaves out.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// Multi-document YAML of every object.
    pub yaml: String,
    /// Notes for stderr.
    pub notes: Vec<String>,
}

/// Why a manifest cannot be rendered.
#[derive(Debug, Error)]
pub enum RenderError {
    /// The input is not YAML.
    #[error("document {document}: not valid YAML: {source}")]
    Yaml {
        /// 1-based document index.
        document: usize,
        /// The parser's error.
        source: serde_yaml::Error,
    },
    /// A Marketplace document does not match the Rust type.
    #[error("document {document}: not a valid Marketplace: {source}")]
    Shape {
        /// 1-based document index.
        document: usize,
        /// The deserializer's error.
        source: serde_json::Error,
    },
    /// A Marketplace has fields the CRD does not know (the API server would drop them).
    #[error("document {document}: unknown fields (typos?): {}", fields.join(", "))]
    UnknownFields {
        /// 1-based document index.
        document: usize,
        /// JSON paths of the unknown fields.
        fields: Vec<String>,
    },
    /// A Marketplace breaks the CRD's CEL rules (the API server would reject it).
    #[error("document {document}: rejected by the CRD's validation rules: {messages}")]
    Invalid {
        /// 1-based document index.
        document: usize,
        /// The failed rules' messages.
        messages: String,
    },
    /// A Marketplace cannot be built into objects.
    #[error("document {document}: {source}")]
    Build {
        /// 1-based document index.
        document: usize,
        /// The builder's error.
        source: BuildError,
    },
    /// The input holds no `ogf.dev/v1alpha1` Marketplace.
    #[error("no ogf.dev/v1alpha1 Marketplace found in the input")]
    NoMarketplace,
    /// Serializing an object failed (a bug).
    #[error("serializing the objects: {0}")]
    Serialize(String),
}

/// Renders every Marketplace in `manifest` (other documents, such as Secrets, are skipped).
pub fn render(manifest: &str, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let schema = crd_schema()?;
    let mut documents = Vec::new();
    let mut notes = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(manifest).enumerate() {
        let document_number = index + 1;
        let value = Value::deserialize(document).map_err(|source| RenderError::Yaml {
            document: document_number,
            source,
        })?;
        if !is_marketplace(&value) {
            continue;
        }
        let marketplace = check(value, &schema, options, document_number)?;
        let build_options = build::Options {
            active_color: options.active_color,
            jwt_secret_value: None,
            service_monitor_api: options.service_monitor_api,
        };
        let objects =
            build::desired(&marketplace, &build_options).map_err(|source| RenderError::Build {
                document: document_number,
                source,
            })?;
        if marketplace.spec.jwt_secret_ref.is_none() {
            let name = marketplace.metadata.name.as_deref().unwrap_or_default();
            notes.push(format!("Secret {name}-jwt (the JWT signing key) is generated at reconcile time and not rendered"));
        }
        notes.extend(objects.skipped.iter().cloned());
        for object in objects
            .manifests()
            .map_err(|e| RenderError::Serialize(e.to_string()))?
        {
            documents.push(
                serde_yaml::to_string(&object)
                    .map_err(|e| RenderError::Serialize(e.to_string()))?,
            );
        }
    }
    if documents.is_empty() {
        return Err(RenderError::NoMarketplace);
    }
    Ok(Rendered {
        yaml: format!("---\n{}", documents.join("---\n")),
        notes,
    })
}

fn is_marketplace(value: &Value) -> bool {
    value["kind"] == "Marketplace" && value["apiVersion"] == "ogf.dev/v1alpha1"
}

/// Validates one Marketplace document as the API server would (types, pruning, CEL rules),
/// and fills in what the API server assigns.
fn check(
    value: Value,
    schema: &Value,
    options: &RenderOptions,
    document: usize,
) -> Result<Marketplace, RenderError> {
    let mut marketplace: Marketplace = serde_json::from_value(value.clone())
        .map_err(|source| RenderError::Shape { document, source })?;
    let fields = unknown_fields(&schema["properties"]["spec"], &value["spec"], ".spec");
    if !fields.is_empty() {
        return Err(RenderError::UnknownFields { document, fields });
    }
    if let Err(errors) = Validator::new().validate(schema, &value, None) {
        return Err(RenderError::Invalid {
            document,
            messages: errors.to_string(),
        });
    }
    let metadata = &mut marketplace.metadata;
    metadata
        .namespace
        .get_or_insert_with(|| options.namespace.clone());
    metadata
        .uid
        .get_or_insert_with(|| UID_PLACEHOLDER.to_string());
    Ok(marketplace)
}

fn crd_schema() -> Result<Value, RenderError> {
    let crd = Marketplace::crd();
    let schema = crd
        .spec
        .versions
        .first()
        .and_then(|v| v.schema.as_ref())
        .and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(schema).map_err(|e| RenderError::Serialize(e.to_string()))
}

/// JSON paths in `value` that `schema` declares no property for (what the API server would prune).
fn unknown_fields(schema: &Value, value: &Value, path: &str) -> Vec<String> {
    if schema["x-kubernetes-preserve-unknown-fields"] == true {
        return Vec::new();
    }
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, child)| {
                let child_path = format!("{path}.{key}");
                match (schema.get("properties"), schema.get("additionalProperties")) {
                    (Some(properties), _) => match properties.get(key) {
                        Some(child_schema) => unknown_fields(child_schema, child, &child_path),
                        None => vec![child_path],
                    },
                    (None, Some(additional)) if additional.is_object() => {
                        unknown_fields(additional, child, &child_path)
                    }
                    _ => Vec::new(),
                }
            })
            .collect(),
        Value::Array(items) => schema
            .get("items")
            .map(|item_schema| {
                items
                    .iter()
                    .enumerate()
                    .flat_map(|(i, item)| {
                        unknown_fields(item_schema, item, &format!("{path}[{i}]"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
