//! Secret rotation (issue #18): AWS's RotateSecret contract, run by iamd's built-in rotators
//! (`iamd-rotators`) instead of Lambda functions.

pub mod schedule;
