//! The regions iamd knows: AWS's partitions and their regions, from botocore's `endpoints.json`
//! (botocore 1.44.5; Secrets Manager runs in every region of each). One list, used for the
//! credential scope of every request (only the `aws` partition, whose ARNs iamd writes) and for
//! Secrets Manager replication (a replica stays in its primary's partition).

/// The `aws` partition's regions, sorted (looked up by binary search on every request).
pub const AWS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Every partition iamd knows, the `aws` partition first.
pub const PARTITIONS: &[&[&str]] = &[
    AWS,
    &["cn-north-1", "cn-northwest-1"],
    &["us-gov-east-1", "us-gov-west-1"],
];

/// Whether a request's credential scope may name `region`: a region of the `aws` partition. Any
/// other string — empty, unknown (`xx-fake-1`), or one that would forge ARN structure into the
/// ARNs built from it (`us-east-1:123456789012:secret:x`) — is refused before the access key is
/// looked up.
pub fn is_served_region(region: &str) -> bool {
    // The region almost every request names, then the rest.
    region == "us-east-1" || AWS.binary_search(&region).is_ok()
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
mod tests {
    use super::*;

    #[test]
    fn served_regions_are_the_aws_partitions() {
        assert!(AWS.windows(2).all(|w| w[0] < w[1]), "AWS must stay sorted");
        for r in AWS {
            assert!(is_served_region(r), "{r}");
        }
        for r in ["us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1"] {
            assert!(is_served_region(r), "{r}");
        }
        for r in [
            "",
            "xx-fake-1",
            "US-EAST-1",
            "us-east-1 ",
            "us-east-1:123456789012:secret:evil",
            "cn-north-1",
            "us-gov-west-1",
            "aws-global",
        ] {
            assert!(!is_served_region(r), "{r:?}");
        }
    }
}
