//! The success condition of a Prometheus check: `result <op> <number>`.

use std::str::FromStr;

use thiserror::Error;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

/// A parsed `result <op> <threshold>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SuccessCondition {
    /// The comparison.
    pub op: Op,
    /// The right-hand side.
    pub threshold: f64,
}

/// Why a condition does not parse.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("invalid successCondition {0:?}: expected `result <op> <number>` with <, <=, >, >= or ==")]
pub struct ParseError(String);

impl FromStr for SuccessCondition {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseError(text.to_string());
        let rest = text
            .trim()
            .strip_prefix("result")
            .ok_or_else(error)?
            .trim_start();
        let (op, rest) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .into_iter()
        .find_map(|(token, op)| rest.strip_prefix(token).map(|rest| (op, rest)))
        .ok_or_else(error)?;
        let threshold: f64 = rest.trim().parse().map_err(|_| error())?;
        if !threshold.is_finite() {
            return Err(error());
        }
        Ok(Self { op, threshold })
    }
}

impl SuccessCondition {
    /// Whether `value` satisfies the condition (NaN never does).
    pub fn holds(&self, value: f64) -> bool {
        match self.op {
            Op::Lt => value < self.threshold,
            Op::Le => value <= self.threshold,
            Op::Gt => value > self.threshold,
            Op::Ge => value >= self.threshold,
            Op::Eq => value == self.threshold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SuccessCondition, ParseError> {
        text.parse()
    }

    #[test]
    fn parses_every_operator() {
        for (text, op, threshold) in [
            ("result < 0.01", Op::Lt, 0.01),
            ("result<=5", Op::Le, 5.0),
            ("  result >  -1.5 ", Op::Gt, -1.5),
            ("result >= 1e3", Op::Ge, 1000.0),
            ("result == 0", Op::Eq, 0.0),
        ] {
            assert_eq!(
                parse(text),
                Ok(SuccessCondition { op, threshold }),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_conditions() {
        for text in [
            "",
            "result",
            "result ! 1",
            "value < 1",
            "result < abc",
            "result < NaN",
            "result < 1 2",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn evaluates() {
        let lt = parse("result < 0.01").unwrap();
        assert!(lt.holds(0.0) && !lt.holds(0.01) && !lt.holds(f64::NAN));
        let ge = parse("result >= 2").unwrap();
        assert!(ge.holds(2.0) && ge.holds(3.0) && !ge.holds(1.9));
        assert!(parse("result == 1").unwrap().holds(1.0));
        assert!(parse("result <= 1").unwrap().holds(1.0));
        assert!(parse("result > 1").unwrap().holds(1.5));
    }
}
