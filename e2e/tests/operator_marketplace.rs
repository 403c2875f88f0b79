//! The Marketplace reconciler against the real control plane: admission of
//! examples and invalid specs, the owned objects, Ready from kwok's pods,
//! updates, drift repair, a missing Secret, garbage collection, no-op
//! reconciles, and leader election.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client, ResourceExt};
use ogf_crds::Marketplace;
use ogf_e2e::fixtures::{create_secret, prebind_volume};
use ogf_e2e::{Operator, TestNamespace, env, install_crds, json_condition, wait_for, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

async fn setup(prefix: &str) -> Option<(Client, TestNamespace)> {
    let config = env::kube_config().await?;
    let client = Client::try_from(config.clone()).expect("client");
    install_crds(&client).await;
    let ns = TestNamespace::create(&client, config, prefix).await;
    Some((client, ns))
}

fn mongodb_marketplace(name: &str, image: &str, replicas: i32) -> Marketplace {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
        "metadata": {"name": name},
        "spec": {
            "image": image,
            "replicas": replicas,
            "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}}
        }
    }))
    .expect("marketplace")
}

fn condition_is(
    kind: &'static str,
    status: &'static str,
    reason: Option<&'static str>,
) -> impl Fn(Option<&Marketplace>) -> bool {
    json_condition::<Marketplace>(move |m| {
        m["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["type"] == kind
                    && c["status"] == status
                    && reason.is_none_or(|r| c["reason"] == r)
            })
        })
    })
}

fn ready_with(replicas: i64) -> impl Fn(Option<&Marketplace>) -> bool {
    let ready = condition_is("Ready", "True", None);
    move |m: Option<&Marketplace>| {
        ready(m)
            && m.and_then(|m| m.status.as_ref())
                .and_then(|s| s.ready_replicas)
                == Some(replicas as i32)
            && m.is_some_and(|m| {
                m.status.as_ref().and_then(|s| s.observed_generation) == m.metadata.generation
            })
    }
}

/// Every owned object's resourceVersion, by `Kind/name`.
async fn resource_versions(client: &Client, ns: &str) -> BTreeMap<String, String> {
    let mut versions = BTreeMap::new();
    let selector = "app.kubernetes.io/managed-by=ogf-operator";
    let lp = kube::api::ListParams::default().labels(selector);
    macro_rules! collect {
        ($($kind:ty),*) => {$(
            for o in Api::<$kind>::namespaced(client.clone(), ns).list(&lp).await.expect("list").items {
                versions.insert(
                    format!("{}/{}", <$kind as kube::Resource>::kind(&()), o.name_any()),
                    o.resource_version().unwrap_or_default(),
                );
            }
        )*};
    }
    collect!(
        Deployment,
        Service,
        ConfigMap,
        ServiceAccount,
        Secret,
        PersistentVolumeClaim
    );
    versions
}

#[tokio::test]
async fn examples_are_admitted_and_invalid_specs_rejected_with_their_message() {
    let Some((client, ns)) = setup("admission").await else {
        return;
    };
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };
    for example in [
        "marketplace-embedded.yaml",
        "marketplace-mongodb.yaml",
        "marketplace-ingress-autoscaling.yaml",
    ] {
        let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("example");
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(document).expect("yaml");
            let object: DynamicObject = serde_json::from_value(value.clone()).expect("object");
            let api_version = value["apiVersion"].as_str().expect("apiVersion");
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let kind = value["kind"].as_str().expect("kind");
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), ns.name(), &resource);
            api.create(&dry_run, &object)
                .await
                .unwrap_or_else(|e| panic!("{example}: {kind} rejected: {e}"));
        }
    }

    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        ns.name(),
        &ApiResource::from_gvk(&GroupVersionKind::gvk("ogf.dev", "v1alpha1", "Marketplace")),
    );
    let mongodb = json!({"uriSecretRef": {"name": "m", "key": "uri"}, "database": "ogf"});
    let invalid = [
        (
            json!({"image": "x", "database": {}}),
            "exactly one of database.embedded or database.mongodb",
        ),
        (
            json!({"image": "x", "database": {"embedded": {}, "mongodb": mongodb}}),
            "exactly one of database.embedded or database.mongodb",
        ),
        (
            json!({"image": "x", "replicas": 3, "database": {"embedded": {}}}),
            "embedded store runs a single replica",
        ),
        (
            json!({"image": "x", "database": {"embedded": {}}, "autoscaling": {"minReplicas": 1, "maxReplicas": 2}}),
            "autoscaling needs the mongodb store",
        ),
        (
            json!({"image": "x", "database": {"mongodb": mongodb}, "autoscaling": {"minReplicas": 5, "maxReplicas": 2}}),
            "min",
        ),
        (
            json!({"image": "x", "replicas": -1, "database": {"mongodb": mongodb}}),
            "replicas must not be negative",
        ),
        (
            json!({"image": "x", "database": {"mongodb": mongodb}, "service": {"port": 70000}}),
            "port must be between 1 and 65535",
        ),
        (
            json!({"image": "", "database": {"mongodb": mongodb}}),
            "spec.image",
        ),
    ];
    for (spec, expected) in invalid {
        let object = json!({"apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
            "metadata": {"name": "bad"}, "spec": spec});
        let error = api
            .create(&dry_run, &serde_json::from_value(object).expect("value"))
            .await
            .expect_err(&format!("{spec} must be rejected"));
        let message = error.to_string();
        assert!(
            message.contains(expected),
            "{spec}: expected {expected:?} in {message}"
        );
    }
}

#[tokio::test]
async fn marketplace_lifecycle_create_ready_update_drift_noop_and_gc() {
    let Some((client, ns)) = setup("lifecycle").await else {
        return;
    };
    let n = ns.name();
    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    let operator = Operator::start(&client, n, "solo", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    marketplaces
        .create(
            &PostParams::default(),
            &mongodb_marketplace("ogf", "ghcr.io/ogf-dev/ogf-api:1.0.0", 2),
        )
        .await
        .expect("create marketplace");

    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(2))
        .await
        .expect("Ready with 2 replicas");

    // Every owned object exists, owned by the Marketplace, with the expected fields.
    let mkt = marketplaces.get("ogf").await.expect("get");
    let uid = mkt.uid().expect("uid");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), n);
    let blue = deployments.get("ogf-blue").await.expect("blue deployment");
    let owner = &blue.owner_references()[0];
    assert_eq!(
        (owner.uid.as_str(), owner.controller),
        (uid.as_str(), Some(true))
    );
    let pod = blue.spec.template.spec.clone().expect("pod spec");
    let container = &pod.containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("ghcr.io/ogf-dev/ogf-api:1.0.0")
    );
    let security = container
        .security_context
        .as_ref()
        .expect("securityContext");
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(pod.automount_service_account_token, Some(false));
    let services: Api<Service> = Api::namespaced(client.clone(), n);
    let active = services.get("ogf").await.expect("active service");
    let selector = active.spec.and_then(|s| s.selector).expect("selector");
    assert_eq!(
        selector.get("ogf.dev/color").map(String::as_str),
        Some("blue")
    );
    services.get("ogf-preview").await.expect("preview service");
    Api::<Secret>::namespaced(client.clone(), n)
        .get("ogf-jwt")
        .await
        .expect("generated JWT secret");
    let status = mkt.status.expect("status");
    assert_eq!(
        status.image.as_deref(),
        Some("ghcr.io/ogf-dev/ogf-api:1.0.0")
    );
    assert!(status.endpoint.is_some_and(|e| e.contains("ogf")));

    // A reconcile with nothing to change writes nothing and changes no resourceVersion.
    let before = resource_versions(&client, n).await;
    let (writes, reconciles) = (
        operator.metrics.total_writes(),
        operator.metrics.reconcile_count("Marketplace"),
    );
    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"e2e/poke": "1"}}})),
        )
        .await
        .expect("poke");
    wait_until("operator metrics", WAIT, || {
        operator.metrics.reconcile_count("Marketplace") > reconciles
    })
    .await
    .expect("operator metrics");
    assert_eq!(
        operator.metrics.total_writes(),
        writes,
        "no-op reconcile wrote"
    );
    assert_eq!(
        resource_versions(&client, n).await,
        before,
        "no-op reconcile changed objects"
    );

    // An image and config change is rolled out blue-green by an implicit Rollout: green
    // comes up with the new image and config hash, takes the traffic, blue scales to zero.
    let old_hash = config_hash(&blue);
    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {
            "image": "ghcr.io/ogf-dev/ogf-api:1.1.0", "config": {"logLevel": "debug"}}})),
        )
        .await
        .expect("update spec");
    let rolled = json_condition::<Deployment>(move |d| {
        d["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/ogf-dev/ogf-api:1.1.0"
            && d["spec"]["template"]["metadata"]["annotations"]["ogf.dev/config-hash"]
                != old_hash.as_str()
    });
    wait_for(deployments.clone(), "ogf-green", WAIT, rolled)
        .await
        .expect("new color rolled out");
    let switched = json_condition::<Service>(|s| s["spec"]["selector"]["ogf.dev/color"] == "green");
    wait_for(services.clone(), "ogf", WAIT, switched)
        .await
        .expect("traffic switched to green");
    let scaled_down = json_condition::<Deployment>(|d| d["spec"]["replicas"] == 0);
    wait_for(
        deployments.clone(),
        "ogf-blue",
        Duration::from_secs(120),
        scaled_down,
    )
    .await
    .expect("old color scaled down after the implicit Rollout's delay");
    let config = Api::<ConfigMap>::namespaced(client.clone(), n)
        .get("ogf-config-green")
        .await
        .expect("configmap");
    assert!(
        serde_json::to_string(&config.data)
            .expect("json")
            .contains("debug")
    );
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(2))
        .await
        .expect("Ready after update");

    // Drift: a deleted Service and a hand-scaled Deployment are repaired.
    services
        .delete("ogf", &DeleteParams::default())
        .await
        .expect("delete service");
    let recreated =
        json_condition::<Service>(|s| s["spec"]["selector"]["ogf.dev/color"] == "green");
    wait_for(services.clone(), "ogf", WAIT, recreated)
        .await
        .expect("service repaired");
    deployments
        .patch(
            "ogf-green",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("scale by hand");
    let repaired = json_condition::<Deployment>(|d| d["spec"]["replicas"] == 2);
    wait_for(deployments.clone(), "ogf-green", WAIT, repaired)
        .await
        .expect("replicas repaired");

    // Deleting the Marketplace garbage-collects what it owned.
    marketplaces
        .delete("ogf", &DeleteParams::foreground())
        .await
        .expect("delete marketplace");
    let gone = |o: Option<&Deployment>| o.is_none();
    wait_for(deployments, "ogf-blue", WAIT, gone)
        .await
        .expect("deployment collected");
    let gone = |o: Option<&Service>| o.is_none();
    wait_for(services, "ogf-preview", WAIT, gone)
        .await
        .expect("service collected");
    operator.stop().await;
}

#[tokio::test]
async fn missing_mongodb_secret_degrades_then_recovers_when_created() {
    let Some((client, ns)) = setup("secret").await else {
        return;
    };
    let n = ns.name();
    let _operator = Operator::start(&client, n, "solo", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    marketplaces
        .create(
            &PostParams::default(),
            &mongodb_marketplace("ogf", "ghcr.io/ogf-dev/ogf-api:1.0.0", 1),
        )
        .await
        .expect("create");
    wait_for(
        marketplaces.clone(),
        "ogf",
        WAIT,
        condition_is("Degraded", "True", Some("SecretNotFound")),
    )
    .await
    .expect("Degraded: SecretNotFound");
    let mkt = marketplaces.get("ogf").await.expect("get");
    let ready = mkt
        .status
        .as_ref()
        .map(|s| s.conditions.clone())
        .unwrap_or_default();
    assert!(
        ready
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "False")
    );
    assert!(
        Api::<Deployment>::namespaced(client.clone(), n)
            .get_opt("ogf-blue")
            .await
            .expect("get")
            .is_none(),
        "nothing is deployed while the Secret is missing"
    );

    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(1))
        .await
        .expect("Ready after the Secret appears");
    let mkt = marketplaces.get("ogf").await.expect("get");
    let conditions = mkt.status.map(|s| s.conditions).unwrap_or_default();
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "Degraded" && c.status == "False")
    );
}

#[tokio::test]
async fn embedded_store_gets_its_volume_and_one_replica() {
    let Some((client, ns)) = setup("embedded").await else {
        return;
    };
    let n = ns.name();
    prebind_volume(&client, n, "ogf-data").await;
    let _operator = Operator::start(&client, n, "solo", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    let mkt: Marketplace = serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace", "metadata": {"name": "ogf"},
        "spec": {"image": "ghcr.io/ogf-dev/ogf-api:1.0.0", "replicas": 1,
                 "database": {"embedded": {"storageSize": "1Gi"}}}
    }))
    .expect("marketplace");
    marketplaces
        .create(&PostParams::default(), &mkt)
        .await
        .expect("create");
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(1))
        .await
        .expect("Ready");
    let blue = Api::<Deployment>::namespaced(client.clone(), n)
        .get("ogf-blue")
        .await
        .expect("deployment");
    let spec = blue.spec;
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(
        spec.strategy.and_then(|s| s.type_).as_deref(),
        Some("Recreate")
    );
    let claim = Api::<PersistentVolumeClaim>::namespaced(client.clone(), n)
        .get("ogf-data")
        .await
        .expect("pvc");
    assert_eq!(claim.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
}

#[tokio::test]
async fn two_operators_one_leads_and_the_other_takes_over_when_it_dies() {
    let Some((client, ns)) = setup("leader").await else {
        return;
    };
    let n = ns.name();
    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    let first = Operator::start(&client, n, "first", Some("ogf-operator-leader")).await;
    wait_until("operator metrics", WAIT, || leader_of(&first))
        .await
        .expect("operator metrics");
    let second = Operator::start(&client, n, "second", Some("ogf-operator-leader")).await;

    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    marketplaces
        .create(
            &PostParams::default(),
            &mongodb_marketplace("ogf", "ghcr.io/ogf-dev/ogf-api:1.0.0", 1),
        )
        .await
        .expect("create");
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(1))
        .await
        .expect("Ready");
    assert!(first.metrics.reconcile_count("Marketplace") > 0);
    assert_eq!(
        second.metrics.reconcile_count("Marketplace"),
        0,
        "the standby reconciled"
    );
    assert!(!leader_of(&second));

    // The leader dies without releasing its lease; the standby takes over once it expires.
    first.kill();
    wait_until("operator metrics", WAIT, || leader_of(&second))
        .await
        .expect("operator metrics");
    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await
        .expect("scale");
    wait_for(marketplaces, "ogf", WAIT, ready_with(2))
        .await
        .expect("the new leader reconciles");
    assert!(second.metrics.reconcile_count("Marketplace") > 0);
    second.stop().await;
}

fn leader_of(operator: &Operator) -> bool {
    operator.metrics.registry().gather().iter().any(|f| {
        f.name() == "ogf_operator_leader"
            && f.get_metric()
                .iter()
                .any(|m| m.get_gauge().get_value() == 1.0)
    })
}

fn config_hash(deployment: &Deployment) -> String {
    deployment
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get("ogf.dev/config-hash").cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn paused_marketplace_changes_nothing_and_says_so() {
    let Some((client, ns)) = setup("paused").await else {
        return;
    };
    let n = ns.name();
    create_secret(&client, n, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    let _operator = Operator::start(&client, n, "solo", None).await;
    let marketplaces: Api<Marketplace> = Api::namespaced(client.clone(), n);
    let mut mkt = mongodb_marketplace("ogf", "ghcr.io/ogf-dev/ogf-api:1.0.0", 1);
    mkt.spec.monitoring.service_monitor.enabled = true;
    marketplaces
        .create(&PostParams::default(), &mkt)
        .await
        .expect("create");
    wait_for(marketplaces.clone(), "ogf", WAIT, ready_with(1))
        .await
        .expect("Ready");
    // No Prometheus Operator in the cluster: the ServiceMonitor is skipped, and the Ready message says so.
    let skipped = json_condition::<Marketplace>(|m| {
        m["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["type"] == "Ready"
                    && c["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("ServiceMonitor skipped"))
            })
        })
    });
    if env::is_testenv_cluster() {
        wait_for(marketplaces.clone(), "ogf", WAIT, skipped)
            .await
            .expect("ServiceMonitor skip reported");
    }

    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"paused": true, "image": "ghcr.io/ogf-dev/ogf-api:2.0.0"}}),
            ),
        )
        .await
        .expect("pause and change image");
    let paused = condition_is("Progressing", "False", Some("Paused"));
    let observed_paused = move |m: Option<&Marketplace>| {
        paused(m)
            && m.is_some_and(|m| {
                m.status.as_ref().and_then(|s| s.observed_generation) == m.metadata.generation
            })
    };
    wait_for(marketplaces.clone(), "ogf", WAIT, observed_paused)
        .await
        .expect("Paused condition");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), n);
    let image = |d: &Deployment| {
        d.spec
            .template
            .spec
            .as_ref()
            .and_then(|p| p.containers[0].image.clone())
    };
    let blue = deployments.get("ogf-blue").await.expect("deployment");
    assert_eq!(
        image(&blue).as_deref(),
        Some("ghcr.io/ogf-dev/ogf-api:1.0.0"),
        "paused changed the image"
    );

    marketplaces
        .patch(
            "ogf",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"paused": false}})),
        )
        .await
        .expect("unpause");
    let updated = json_condition::<Deployment>(|d| {
        d["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/ogf-dev/ogf-api:2.0.0"
    });
    wait_for(deployments, "ogf-green", WAIT, updated)
        .await
        .expect("change rolled out to the other color after unpausing");
}

#[tokio::test]
async fn a_cached_copy_is_stale_once_the_api_server_has_a_newer_one() {
    let Some((client, ns)) = setup("mkt-stale").await else {
        return;
    };
    let api: Api<Marketplace> = Api::namespaced(client.clone(), ns.name());
    let stale = |copy: Marketplace| {
        let client = client.clone();
        async move {
            ogf_operator::controller::freshness::cached_copy_is_stale(&client, &copy, "test")
                .await
                .expect("freshness check")
        }
    };
    let created = api
        .create(
            &PostParams::default(),
            &mongodb_marketplace("shop", "ogf-api:1", 1),
        )
        .await
        .expect("create");
    assert!(!stale(created.clone()).await, "the copy just created");
    let patched = api
        .patch_status(
            "shop",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 3}})),
        )
        .await
        .expect("status write");
    assert!(stale(created).await, "the copy from before a status write");
    assert!(!stale(patched.clone()).await, "the copy after it");
    api.delete("shop", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(api.clone(), "shop", WAIT, |m: Option<&Marketplace>| {
        m.is_none()
    })
    .await
    .expect("deleted");
    assert!(stale(patched).await, "a copy of a deleted object");
}
