//! RBAC proofs: the operator run as the chart's ServiceAccount (sufficient), and
//! access reviews and `kubectl auth can-i` (no broader than needed).

use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource};
use ogf_crds::Marketplace;
use ogf_e2e::fixtures::create_secret;
use ogf_e2e::{Operator, json_condition, wait_for};
use serde_json::json;

use super::tools::Cluster;
use super::{LEASE, WAIT};

/// Every (verb, group, resource, subresource) the operator's code uses in a watched namespace,
/// besides the owned kinds below.
const NEEDED_IN_WATCHED: &[(&str, &str, &str, &str)] = &[
    ("get", "ogf.dev", "marketplaces", ""),
    ("list", "ogf.dev", "marketplaces", ""),
    ("watch", "ogf.dev", "marketplaces", ""),
    ("patch", "ogf.dev", "marketplaces", "status"),
    ("update", "ogf.dev", "marketplaces", "finalizers"),
    ("create", "events.k8s.io", "events", ""),
    ("patch", "events.k8s.io", "events", ""),
    ("delete", "", "secrets", ""),
    ("delete", "", "configmaps", ""),
    ("delete", "autoscaling", "horizontalpodautoscalers", ""),
    ("delete", "policy", "poddisruptionbudgets", ""),
    ("delete", "networking.k8s.io", "networkpolicies", ""),
    ("delete", "networking.k8s.io", "ingresses", ""),
    ("get", "monitoring.coreos.com", "servicemonitors", ""),
    ("create", "monitoring.coreos.com", "servicemonitors", ""),
    ("patch", "monitoring.coreos.com", "servicemonitors", ""),
    ("delete", "monitoring.coreos.com", "servicemonitors", ""),
    // The Rollout reconciler (implicit Rollouts, the promoted image), and rules
    // granted ahead for the Backup and Restore reconcilers.
    ("watch", "ogf.dev", "rollouts", ""),
    ("create", "ogf.dev", "rollouts", ""),
    ("delete", "ogf.dev", "rollouts", ""),
    ("patch", "ogf.dev", "rollouts", "status"),
    ("patch", "ogf.dev", "marketplaces", ""),
    ("patch", "ogf.dev", "restores", "status"),
    ("create", "ogf.dev", "backups", ""),
    ("create", "batch", "jobs", ""),
    ("patch", "batch", "jobs", ""),
    ("delete", "batch", "jobs", ""),
    ("update", "ogf.dev", "backups", "finalizers"),
];

/// Owned kinds (group, resource): applied (create, patch), read (get), watched (list, watch).
const OWNED: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("", "services"),
    ("", "configmaps"),
    ("", "serviceaccounts"),
    ("", "secrets"),
    ("", "persistentvolumeclaims"),
    ("autoscaling", "horizontalpodautoscalers"),
    ("policy", "poddisruptionbudgets"),
    ("networking.k8s.io", "networkpolicies"),
    ("networking.k8s.io", "ingresses"),
];

/// Asks the API server whether `client`'s user may do it (a SelfSubjectAccessReview:
/// unlike `kubectl auth can-i`, it needs no discovery, so it also answers for
/// ServiceMonitors, whose API this cluster does not serve).
pub(crate) async fn allowed(
    client: &Client,
    ns: &str,
    verb: &str,
    group: &str,
    resource: &str,
    sub: &str,
) -> bool {
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "namespace": ns, "verb": verb, "group": group, "resource": resource, "subresource": sub
        }}
    }))
    .expect("review");
    Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .expect("SelfSubjectAccessReview")
        .status
        .is_some_and(|s| s.allowed)
}

/// The operator may do everything its code does in `ns`.
pub(crate) async fn assert_can(as_operator: &Client, ns: &str) {
    let mut checks: Vec<(&str, &str, &str, &str)> = NEEDED_IN_WATCHED.to_vec();
    for (group, resource) in OWNED {
        for verb in ["get", "list", "watch", "create", "patch"] {
            checks.push((verb, group, resource, ""));
        }
    }
    let mut denied = Vec::new();
    for (verb, group, resource, sub) in checks {
        if !allowed(as_operator, ns, verb, group, resource, sub).await {
            denied.push(format!("{verb} {resource}.{group} {sub}"));
        }
    }
    assert!(denied.is_empty(), "the operator lacks in {ns}: {denied:?}");
}

/// What the operator must never be able to do, in any mode.
pub(crate) const NEVER: &[&[&str]] = &[
    &["*", "*", "--all-namespaces"],
    &["delete", "customresourcedefinitions.apiextensions.k8s.io"],
    &["create", "clusterrolebindings.rbac.authorization.k8s.io"],
    &[
        "create",
        "rolebindings.rbac.authorization.k8s.io",
        "--all-namespaces",
    ],
    &["escalate", "clusterroles.rbac.authorization.k8s.io"],
    &["impersonate", "serviceaccounts", "--all-namespaces"],
    &["list", "nodes"],
    &["create", "pods", "--all-namespaces"],
    &["create", "pods", "--subresource=exec", "--all-namespaces"],
    &["delete", "deployments.apps", "--all-namespaces"],
    &["create", "events", "--all-namespaces"],
    // Backups are scheduled by the operator: no CronJobs.
    &["create", "cronjobs.batch", "--all-namespaces"],
];

pub(crate) async fn assert_cannot(cluster: &Cluster, user: &str, checks: &[&[&str]]) {
    let mut wrongly = Vec::new();
    for args in checks {
        if cluster.can_i(user, args).await {
            wrongly.push(args.join(" "));
        }
    }
    assert!(wrongly.is_empty(), "{user} may, but must not: {wrongly:?}");
}

/// The Lease: created once, then only the named one read and patched, only in the release namespace.
pub(crate) async fn assert_lease_rules(
    cluster: &Cluster,
    user: &str,
    release_ns: &str,
    elsewhere: &str,
) {
    let named = format!("leases.coordination.k8s.io/{LEASE}");
    for verb in ["get", "patch"] {
        assert!(cluster.can_i(user, &[verb, &named, "-n", release_ns]).await);
    }
    assert!(
        cluster
            .can_i(
                user,
                &["create", "leases.coordination.k8s.io", "-n", release_ns]
            )
            .await
    );
    assert_cannot(
        cluster,
        user,
        &[
            &[
                "patch",
                "leases.coordination.k8s.io/someone-elses",
                "-n",
                release_ns,
            ],
            &["delete", &named, "-n", release_ns],
            &["update", &named, "-n", release_ns],
            &["create", "leases.coordination.k8s.io", "-n", elsewhere],
        ],
    )
    .await;
}

/// A mongodb Marketplace using every optional owned kind (HPA, PDB, NetworkPolicy, Ingress).
fn full_marketplace(name: &str) -> Marketplace {
    serde_json::from_value(json!({
        "apiVersion": "ogf.dev/v1alpha1", "kind": "Marketplace",
        "metadata": {"name": name},
        "spec": {
            "image": "ghcr.io/ogf-dev/ogf-api:0.1.0",
            "replicas": 2,
            "database": {"mongodb": {"uriSecretRef": {"name": "mongo", "key": "uri"}, "database": "ogf"}},
            "autoscaling": {"minReplicas": 2, "maxReplicas": 4, "targetCPUUtilizationPercentage": 70},
            "podDisruptionBudget": {"maxUnavailable": 1},
            "ingress": {"className": "nginx", "host": "shop.example"},
            "networkPolicy": {"enabled": true}
        }
    }))
    .expect("marketplace")
}

fn ready_and_current(m: Option<&Marketplace>) -> bool {
    json_condition::<Marketplace>(|v| {
        v["status"]["observedGeneration"] == v["metadata"]["generation"]
            && v["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
    })(m)
}

/// Waits for `shop` to be Ready for its current generation; on timeout shows its status.
async fn wait_ready(marketplaces: &Api<Marketplace>, what: &str) {
    if let Err(e) = wait_for(marketplaces.clone(), "shop", WAIT, ready_and_current).await {
        let status = marketplaces.get("shop").await.ok().map(|m| json!(m.status));
        panic!("{what}: {e}; status: {status:#?}");
    }
}

async fn gone<K>(client: &Client, ns: &str, name: &str)
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + Send
        + serde::de::DeserializeOwned
        + 'static,
    K::DynamicType: Default,
{
    wait_for(
        Api::<K>::namespaced(client.clone(), ns),
        name,
        WAIT,
        |o: Option<&K>| o.is_none(),
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "{} {name} deleted by the operator: {e}",
            K::kind(&Default::default())
        )
    });
}

fn reconcile_errors(operator: &Operator, category: &str) -> u64 {
    operator
        .metrics
        .registry()
        .gather()
        .iter()
        .filter(|f| f.name() == "ogf_operator_reconcile_errors_total")
        .map(|f| {
            f.get_metric()
                .iter()
                .filter(|m| {
                    m.get_label()
                        .iter()
                        .any(|l| l.name() == "category" && l.value() == category)
                })
                .map(|m| m.get_counter().get_value() as u64)
                .sum::<u64>()
        })
        .sum()
}

/// Runs the operator as `user` on `ns` and drives a Marketplace through every code path
/// that needs a permission: create, Ready, drift repair from a watch, and deleting the
/// optional objects and the generated Secret when the spec drops them.
pub(crate) async fn operator_works_as(cluster: &Cluster, user: &str, ns: &str) {
    let admin = &cluster.client;
    let as_operator = cluster.impersonating(user);
    create_secret(admin, ns, "mongo", "uri", "mongodb://mongo.example:27017/").await;
    create_secret(
        admin,
        ns,
        "own-jwt",
        "key",
        "a-signing-key-brought-by-the-team",
    )
    .await;
    let operator = Operator::start(&as_operator, ns, "rbac", Some(LEASE)).await;

    let marketplaces: Api<Marketplace> = Api::namespaced(admin.clone(), ns);
    marketplaces
        .create(&PostParams::default(), &full_marketplace("shop"))
        .await
        .expect("create marketplace");
    wait_ready(&marketplaces, "Ready as the chart's ServiceAccount").await;
    Api::<HorizontalPodAutoscaler>::namespaced(admin.clone(), ns)
        .get("shop")
        .await
        .expect("HPA applied");
    Api::<Secret>::namespaced(admin.clone(), ns)
        .get("shop-jwt")
        .await
        .expect("generated JWT Secret applied");

    // Drift repair comes from the owned-object watch (the resync is minutes away).
    let services: Api<Service> = Api::namespaced(admin.clone(), ns);
    services
        .delete("shop-preview", &DeleteParams::default())
        .await
        .expect("delete preview service");
    wait_for(services, "shop-preview", WAIT, |s: Option<&Service>| {
        s.is_some_and(|s| s.metadata.deletion_timestamp.is_none())
    })
    .await
    .expect("the deleted Service is re-applied");

    // Dropping the optional parts deletes them; bringing a JWT Secret deletes the generated one.
    let patch = json!({"spec": {
        "autoscaling": null, "ingress": null, "networkPolicy": null,
        "podDisruptionBudget": {"enabled": false},
        "jwtSecretRef": {"name": "own-jwt", "key": "key"}
    }});
    marketplaces
        .patch("shop", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch marketplace");
    gone::<HorizontalPodAutoscaler>(admin, ns, "shop").await;
    gone::<Ingress>(admin, ns, "shop").await;
    gone::<NetworkPolicy>(admin, ns, "shop").await;
    gone::<PodDisruptionBudget>(admin, ns, "shop").await;
    gone::<Secret>(admin, ns, "shop-jwt").await;
    wait_ready(&marketplaces, "Ready again after the update").await;

    // The Lease is held under this identity, Events were written, and no reconcile
    // failed with a 403 (counted as a bug).
    let lease = Api::<Lease>::namespaced(admin.clone(), ns)
        .get(LEASE)
        .await
        .expect("leader Lease");
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("rbac")
    );
    let events = Api::<Event>::namespaced(admin.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("list events");
    assert!(
        events
            .items
            .iter()
            .any(|e| e.reporting_controller.as_deref() == Some("ogf-operator")),
        "the operator published Events"
    );
    assert_eq!(
        reconcile_errors(&operator, "bug"),
        0,
        "no forbidden API call"
    );
    operator.stop().await;
}
