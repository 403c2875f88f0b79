//! Status conditions shared by every kind, in the `metav1.Condition` shape.

use std::fmt;

pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// The condition types every `ogf.dev` kind reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionType {
    /// The resource does what it was asked to do.
    Ready,
    /// The operator is moving the resource towards its spec.
    Progressing,
    /// Something prevents the spec from being met; the reason says what.
    Degraded,
}

impl ConditionType {
    /// Every condition type, in the order they are reported.
    pub const ALL: [ConditionType; 3] = [Self::Ready, Self::Progressing, Self::Degraded];

    /// The `type` string of the condition.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Progressing => "Progressing",
            Self::Degraded => "Degraded",
        }
    }
}

impl fmt::Display for ConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `status` of a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The operator cannot tell yet.
    Unknown,
}

impl ConditionStatus {
    /// The `status` string of the condition.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }

    /// `True` when `value` holds, `False` otherwise.
    pub fn from_bool(value: bool) -> Self {
        if value { Self::True } else { Self::False }
    }
}

impl fmt::Display for ConditionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The condition of type `kind` in `conditions`, if present.
pub fn find(conditions: &[Condition], kind: ConditionType) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == kind.as_str())
}

/// Whether the condition of type `kind` is present with status `True`.
pub fn is_true(conditions: &[Condition], kind: ConditionType) -> bool {
    find(conditions, kind).is_some_and(|c| c.status == ConditionStatus::True.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    fn condition(kind: ConditionType, status: ConditionStatus) -> Condition {
        Condition {
            type_: kind.as_str().into(),
            status: status.as_str().into(),
            reason: "Test".into(),
            message: String::new(),
            last_transition_time: Time(Timestamp::UNIX_EPOCH),
            observed_generation: None,
        }
    }

    #[test]
    fn names_match_the_conventions() {
        let names: Vec<_> = ConditionType::ALL.iter().map(|c| c.to_string()).collect();
        assert_eq!(names, ["Ready", "Progressing", "Degraded"]);
        assert_eq!(ConditionStatus::from_bool(true).as_str(), "True");
        assert_eq!(ConditionStatus::from_bool(false).as_str(), "False");
        assert_eq!(ConditionStatus::Unknown.to_string(), "Unknown");
    }

    #[test]
    fn finds_conditions_by_type() {
        let conditions = vec![
            condition(ConditionType::Ready, ConditionStatus::True),
            condition(ConditionType::Degraded, ConditionStatus::False),
        ];
        assert!(is_true(&conditions, ConditionType::Ready));
        assert!(!is_true(&conditions, ConditionType::Degraded));
        assert!(!is_true(&conditions, ConditionType::Progressing));
        assert!(find(&conditions, ConditionType::Progressing).is_none());
    }
}
