//! CloudTrail's errors (LookupEvents), with AWS's codes; every one is a modeled exception of
//! LookupEvents in botocore's `cloudtrail` 2013-11-01 model, HTTP 400 (the model's default).
//!
//! AWS's message texts for these are not documented (aws-semantics-2.md §3.4: "Exact messages:
//! [open]"). The texts below are iamd's choice, each following the exception's model
//! documentation; `InvalidMaxResultsException`'s follows the text a CloudTrail-compatible
//! implementation answers (`A max results value of 51 is invalid. Specify max results between 1
//! and 50.`). The tests in crates/iamd-cloudtrail pin them.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudTrailError {
    /// More than one lookup attribute ("Currently the list can contain only one item").
    #[error("more than one lookup attribute")]
    TooManyLookupAttributes,
    /// An `AttributeKey` that is not one of the eight.
    #[error("unknown lookup attribute key {key}")]
    UnknownLookupAttributeKey { key: String },
    /// An `AttributeValue` that is empty or longer than 2000 (with `_`, space, `,` and newline
    /// counted twice).
    #[error("lookup attribute value length")]
    LookupAttributeValueLength,
    /// `ReadOnly` with a value other than `true` / `false`.
    #[error("ReadOnly value {value}")]
    InvalidReadOnlyValue { value: String },
    /// `StartTime` after `EndTime`.
    #[error("start time after end time")]
    StartAfterEnd,
    /// `MaxResults` outside 1–50.
    #[error("max results {0}")]
    InvalidMaxResults(i64),
    /// A `NextToken` iamd did not issue, or issued for other parameters or another account.
    #[error("invalid next token")]
    InvalidNextToken,
    /// An `EventCategory` other than `insight`.
    #[error("event category {0}")]
    InvalidEventCategory(String),
}

impl CloudTrailError {
    pub fn code(&self) -> &'static str {
        use CloudTrailError::*;
        match self {
            TooManyLookupAttributes
            | UnknownLookupAttributeKey { .. }
            | LookupAttributeValueLength
            | InvalidReadOnlyValue { .. } => "InvalidLookupAttributesException",
            StartAfterEnd => "InvalidTimeRangeException",
            InvalidMaxResults(_) => "InvalidMaxResultsException",
            InvalidNextToken => "InvalidNextTokenException",
            InvalidEventCategory(_) => "InvalidEventCategoryException",
        }
    }

    pub fn message(&self) -> String {
        use CloudTrailError::*;
        match self {
            TooManyLookupAttributes => {
                "You cannot specify more than one lookup attribute.".to_owned()
            }
            UnknownLookupAttributeKey { key } => format!(
                "Lookup attribute key {key} is not valid. Valid keys are EventId, EventName, \
                 ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId."
            ),
            LookupAttributeValueLength => {
                "Lookup attribute value must be between 1 and 2000 characters.".to_owned()
            }
            InvalidReadOnlyValue { value } => format!(
                "Lookup attribute value {value} is not valid for ReadOnly. Specify true or false."
            ),
            StartAfterEnd => "Start time must be before or equal to end time.".to_owned(),
            InvalidMaxResults(n) => format!(
                "A max results value of {n} is invalid. Specify max results between 1 and 50."
            ),
            InvalidNextToken => {
                "The next token is not valid for this request. Pass the token with the same \
                 parameters as the request that returned it."
                    .to_owned()
            }
            InvalidEventCategory(c) => {
                format!("Event category {c} is not valid. The only valid value is insight.")
            }
        }
    }
}
