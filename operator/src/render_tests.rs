use super::*;

const MINIMAL: &str = r#"
apiVersion: ogf.dev/v1alpha1
kind: Marketplace
metadata:
  name: demo
spec:
  image: ogf-api:1
  database:
    mongodb:
      uriSecretRef: {name: mongo, key: uri}
      database: ogf
"#;

fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).unwrap())
        .collect()
}

#[test]
fn renders_every_object_as_yaml_documents() {
    let rendered = render(MINIMAL, &RenderOptions::default()).unwrap();
    let objects = docs(&rendered.yaml);
    let kinds: Vec<_> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "ConfigMap",
            "Deployment",
            "Service",
            "Service",
            "PodDisruptionBudget"
        ]
    );
    for object in &objects {
        assert_eq!(object["metadata"]["namespace"], "default");
        assert_eq!(
            object["metadata"]["ownerReferences"][0]["uid"],
            UID_PLACEHOLDER
        );
    }
    assert!(rendered.notes.iter().any(|n| n.contains("demo-jwt")));
}

#[test]
fn options_choose_namespace_and_color() {
    let options = RenderOptions {
        namespace: "shop".into(),
        active_color: Color::Green,
        service_monitor_api: false,
    };
    let objects = docs(&render(MINIMAL, &options).unwrap().yaml);
    assert!(objects.iter().all(|o| o["metadata"]["namespace"] == "shop"));
    assert!(
        objects
            .iter()
            .any(|o| o["metadata"]["name"] == "demo-green")
    );
}

#[test]
fn other_documents_are_skipped() {
    let input = format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: mongo}}\n---\n{MINIMAL}");
    assert!(render(&input, &RenderOptions::default()).is_ok());
}

#[test]
fn bad_manifests_are_clear_errors() {
    let none = render(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n",
        &RenderOptions::default(),
    );
    assert!(matches!(none, Err(RenderError::NoMarketplace)));

    let yaml = render("kind: [", &RenderOptions::default()).unwrap_err();
    assert!(
        matches!(yaml, RenderError::Yaml { document: 1, .. }),
        "{yaml}"
    );

    let typo = render(
        &MINIMAL.replace("image:", "imagee: x\n  image:"),
        &RenderOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        typo.to_string(),
        "document 1: unknown fields (typos?): .spec.imagee"
    );

    let both = MINIMAL.replace("  database:\n", "  database:\n    embedded: {}\n");
    let invalid = render(&both, &RenderOptions::default()).unwrap_err();
    assert!(
        invalid
            .to_string()
            .contains("exactly one of database.embedded or database.mongodb"),
        "{invalid}"
    );

    let wrong_type = render(
        &MINIMAL.replace("image: ogf-api:1", "image: ogf-api:1\n  replicas: two"),
        &RenderOptions::default(),
    );
    assert!(
        matches!(wrong_type, Err(RenderError::Shape { .. })),
        "{wrong_type:?}"
    );
}
