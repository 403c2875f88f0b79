//! The hardened pod template of the API.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, HTTPGetAction, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext,
    TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use ogf_crds::marketplace::{DatabaseKind, SecretKeyRef};
use ogf_crds::{Color, MarketplaceSpec};

use super::{config_hash, env, labels, owner::Owner};

/// Name of the API container.
pub const CONTAINER_NAME: &str = "api";
/// Name of the container port.
pub const PORT_NAME: &str = "http";
/// The non-root user and group the API runs as.
pub const RUN_AS: i64 = 65532;
const TMP_VOLUME: &str = "tmp";
const DATA_VOLUME: &str = "data";

/// What the pod template is built from.
#[derive(Clone, Copy, Debug)]
pub struct PodParams<'a> {
    /// The Marketplace's identity.
    pub owner: &'a Owner,
    /// The Marketplace's spec.
    pub spec: &'a MarketplaceSpec,
    /// The store the spec selects.
    pub database: DatabaseKind<'a>,
    /// Secret key of the JWT signing key.
    pub jwt: &'a SecretKeyRef,
    /// Color of the Deployment this template belongs to.
    pub color: Color,
    /// Image to run.
    pub image: &'a str,
    /// Value of the `ogf.dev/config-hash` annotation.
    pub config_hash: &'a str,
}

/// The pod template.
pub fn template(params: &PodParams<'_>) -> PodTemplateSpec {
    let PodParams {
        owner, spec, color, ..
    } = *params;
    let annotations = BTreeMap::from([(
        config_hash::ANNOTATION.to_string(),
        params.config_hash.to_string(),
    )]);
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels::common(&owner.name, Some(color))),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(owner.service_account_name()),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(pod_security_context()),
            containers: vec![container(params)],
            volumes: Some(volumes(owner, params.database)),
            topology_spread_constraints: Some(vec![spread_across_nodes(&owner.name, color)]),
            termination_grace_period_seconds: Some(30),
            image_pull_secrets: non_empty(spec.image_pull_secrets.clone()),
            node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
            tolerations: non_empty(spec.tolerations.clone()),
            affinity: spec.affinity.clone(),
            ..PodSpec::default()
        }),
    }
}

/// Requests and limits used when `spec.resources` is absent.
pub fn default_resources() -> ResourceRequirements {
    let quantities = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.into())),
            ("memory".to_string(), Quantity(memory.into())),
        ])
    };
    ResourceRequirements {
        requests: Some(quantities("100m", "128Mi")),
        limits: Some(quantities("1", "512Mi")),
        ..ResourceRequirements::default()
    }
}

fn container(params: &PodParams<'_>) -> Container {
    let mut mounts = vec![VolumeMount {
        name: TMP_VOLUME.into(),
        mount_path: "/tmp".into(),
        ..VolumeMount::default()
    }];
    if let DatabaseKind::Embedded(_) = params.database {
        mounts.push(VolumeMount {
            name: DATA_VOLUME.into(),
            mount_path: env::DATA_MOUNT_PATH.into(),
            ..VolumeMount::default()
        });
    }
    Container {
        name: CONTAINER_NAME.into(),
        image: Some(params.image.into()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.into()),
            container_port: env::HTTP_PORT,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        env: Some(env::env(params.database, params.jwt)),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: params.owner.config_map_name(params.color),
                optional: Some(false),
            }),
            ..EnvFromSource::default()
        }]),
        resources: Some(
            params
                .spec
                .resources
                .clone()
                .unwrap_or_else(default_resources),
        ),
        security_context: Some(container_security_context()),
        startup_probe: Some(probe("/healthz", 2, 30)),
        liveness_probe: Some(probe("/healthz", 10, 3)),
        readiness_probe: Some(probe("/readyz", 5, 3)),
        volume_mounts: Some(mounts),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        ..Container::default()
    }
}

fn probe(path: &str, period_seconds: i32, failure_threshold: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(PORT_NAME.into()),
            scheme: Some("HTTP".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period_seconds),
        timeout_seconds: Some(2),
        failure_threshold: Some(failure_threshold),
        ..Probe::default()
    }
}

pub(crate) fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        fs_group: Some(RUN_AS),
        fs_group_change_policy: Some("OnRootMismatch".into()),
        seccomp_profile: Some(runtime_default()),
        ..PodSecurityContext::default()
    }
}

pub(crate) fn container_security_context() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(runtime_default()),
        ..SecurityContext::default()
    }
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        ..SeccompProfile::default()
    }
}

fn volumes(owner: &Owner, database: DatabaseKind<'_>) -> Vec<Volume> {
    let mut volumes = vec![Volume {
        name: TMP_VOLUME.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("64Mi".into())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }];
    if let DatabaseKind::Embedded(_) = database {
        volumes.push(Volume {
            name: DATA_VOLUME.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: owner.pvc_name(),
                read_only: Some(false),
            }),
            ..Volume::default()
        });
    }
    volumes
}

fn spread_across_nodes(instance: &str, color: Color) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(LabelSelector {
            match_labels: Some(labels::selector(instance, Some(color))),
            ..LabelSelector::default()
        }),
        match_label_keys: Some(vec!["pod-template-hash".into()]),
        ..TopologySpreadConstraint::default()
    }
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}
