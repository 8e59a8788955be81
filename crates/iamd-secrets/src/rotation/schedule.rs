//! `RotationRules`: AWS's rotation schedules (`AutomaticallyAfterDays`, `ScheduleExpression` with
//! `rate()` and `cron()`, the `Duration` window), validated as AWS validates them, and the next
//! rotation window they give. Pure: no I/O, time passed in (Unix seconds, UTC).
//!
//! Stub: only `AutomaticallyAfterDays` is understood yet.

use serde::{Deserialize, Serialize};

/// `RotationRules` as a request gives them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesInput<'a> {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<&'a str>,
    pub duration: Option<&'a str>,
}

/// Validated rotation rules, stored with the secret and echoed in DescribeSecret/ListSecrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<String>,
    pub duration: Option<String>,
}

/// Validates `input` as AWS does: `Err` holds the message of the `InvalidParameterException`.
pub fn parse(input: &RulesInput<'_>) -> Result<Schedule, String> {
    match (input.automatically_after_days, input.schedule_expression) {
        (Some(_), Some(_)) => Err(
            "You cannot specify both rotation frequency and schedule expression together.".into(),
        ),
        (Some(d), None) if (1..=1000).contains(&d) => Ok(Schedule {
            automatically_after_days: Some(d),
            schedule_expression: None,
            duration: input.duration.map(str::to_owned),
        }),
        _ => Err("Invalid rotation rules.".into()),
    }
}

impl Schedule {
    /// `RotationRules` as DescribeSecret and ListSecrets show them:
    /// (`AutomaticallyAfterDays`, `ScheduleExpression`, `Duration`).
    pub fn describe(&self) -> (Option<i64>, Option<&str>, Option<&str>) {
        (
            self.automatically_after_days,
            self.schedule_expression.as_deref(),
            self.duration.as_deref(),
        )
    }

    /// The first rotation window that starts after `after` (the last rotation, or when rotation
    /// was configured): (start, end), Unix seconds. Rotation is due at any time in the window;
    /// `NextRotationDate` is its end ("on or before this date").
    pub fn next_window(&self, after: i64) -> (i64, i64) {
        let days = self.automatically_after_days.unwrap_or(1);
        let start = after + days * 86_400;
        (start, start + 86_400)
    }
}
