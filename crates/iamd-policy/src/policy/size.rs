//! How big a policy is, the way IAM's quotas count it, and the quotas.

/// Maximum policy sizes in characters, whitespace not counted (reference §2.7).
pub mod limits {
    /// Managed policy document.
    pub const MANAGED_POLICY: usize = 6_144;
    /// Aggregate of a user's inline policies.
    pub const USER_INLINE_AGGREGATE: usize = 2_048;
    /// Aggregate of a group's inline policies.
    pub const GROUP_INLINE_AGGREGATE: usize = 5_120;
    /// Aggregate of a role's inline policies.
    pub const ROLE_INLINE_AGGREGATE: usize = 10_240;
    /// Role trust policy (default quota).
    pub const ROLE_TRUST_POLICY: usize = 2_048;
    /// Session policy plaintext.
    pub const SESSION_POLICY: usize = 2_048;
    /// Secrets Manager resource policy.
    pub const SECRETS_MANAGER_RESOURCE_POLICY: usize = 20_480;
}

/// Counts a policy's size the way IAM's quotas do: characters, whitespace excluded.
pub fn policy_size(text: &str) -> usize {
    if text.is_ascii() {
        return text.len() - count_bytes(text.as_bytes(), |b| b.is_ascii_whitespace());
    }
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// How many bytes satisfy `f`, counted in blocks of 255 with a `u8` sum (vectorises, unlike
/// `filter().count()` or a short-circuiting `all`).
pub(crate) fn count_bytes(b: &[u8], f: impl Fn(u8) -> bool) -> usize {
    b.chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &x| n + u8::from(f(x)))))
        .sum()
}
