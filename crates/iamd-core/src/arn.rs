//! Amazon Resource Names: one type, parsed once, used everywhere an ARN is built or read.
//!
//! `arn:partition:service:region:account-id:resource`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>). The resource part
//! keeps its own structure (`user/path/name`, `secret:name-AbCdEf`, `assumed-role/r/s`), read
//! with [`Arn::resource_type`] and [`Arn::resource_id`].

use std::fmt;

/// A parsed ARN. Cheap accessors over one owned string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: String,
    /// Byte offsets of the five `:` separators after `arn`.
    cuts: [u16; 5],
}

/// Why a string is not an ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("not of the form arn:partition:service:region:account:resource")]
    Malformed,
    #[error("longer than an ARN can be")]
    TooLong,
}

impl Arn {
    /// Parses `arn:partition:service:region:account:resource`. The partition, service and
    /// resource must be non-empty; region and account may be empty (IAM is global; S3 buckets
    /// have no account). The resource may itself contain `:`.
    pub fn parse(text: &str) -> Result<Arn, ArnError> {
        if text.len() > usize::from(u16::MAX) {
            return Err(ArnError::TooLong);
        }
        let mut cuts = [0u16; 5];
        let mut found = 0;
        for (i, b) in text.bytes().enumerate() {
            if b == b':' {
                if let Some(slot) = cuts.get_mut(found) {
                    // The length check above keeps every offset within u16.
                    *slot = u16::try_from(i).map_err(|_| ArnError::TooLong)?;
                }
                found += 1;
                if found == 5 {
                    break;
                }
            }
        }
        if found < 5 {
            return Err(ArnError::Malformed);
        }
        let arn = Arn {
            text: text.to_owned(),
            cuts,
        };
        if arn.field(0) != "arn"
            || arn.partition().is_empty()
            || arn.service().is_empty()
            || arn.resource().is_empty()
        {
            return Err(ArnError::Malformed);
        }
        Ok(arn)
    }

    /// Assembles an ARN from its parts (which must not contain `:`, except the resource).
    fn build(partition: &str, service: &str, region: &str, account: &str, resource: &str) -> Arn {
        Arn::build_from(partition, service, region, account, &[resource])
    }

    /// [`Arn::build`] with the resource given in pieces, written straight into the one string
    /// (no formatting machinery: AssumeRole and every IAM operation build ARNs per request).
    fn build_from(
        partition: &str,
        service: &str,
        region: &str,
        account: &str,
        resource: &[&str],
    ) -> Arn {
        // `arn` then one `:` after each of the first four parts.
        let mut cuts = [3u16; 5];
        let mut at = 3usize;
        for (slot, part) in cuts
            .iter_mut()
            .skip(1)
            .zip([partition, service, region, account])
        {
            at += 1 + part.len();
            *slot = u16::try_from(at).unwrap_or(u16::MAX);
        }
        let len = usize::from(cuts[4]) + 1 + resource.iter().map(|p| p.len()).sum::<usize>();
        let mut text = String::with_capacity(len);
        for part in [
            "arn:", partition, ":", service, ":", region, ":", account, ":",
        ]
        .into_iter()
        .chain(resource.iter().copied())
        {
            text.push_str(part);
        }
        Arn { text, cuts }
    }

    /// An IAM entity: `arn:aws:iam::<account>:<kind><path><name>` (`user`, `group`, `role`,
    /// `policy`, `instance-profile`, `mfa`), `path` starting and ending with `/`.
    pub fn iam(account: &str, kind: &str, path: &str, name: &str) -> Arn {
        Arn::build_from("aws", "iam", "", account, &[kind, path, name])
    }

    /// An account's root user: `arn:aws:iam::<account>:root`.
    pub fn root(account: &str) -> Arn {
        Arn::build("aws", "iam", "", account, "root")
    }

    /// A resource of `service` in `region` and `account`.
    pub fn of(service: &str, region: &str, account: &str, resource: &str) -> Arn {
        Arn::build("aws", service, region, account, resource)
    }

    fn field(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            _ => self.cuts.get(i - 1).map_or(0, |c| usize::from(*c) + 1),
        };
        let end = self
            .cuts
            .get(i)
            .map_or(self.text.len(), |c| usize::from(*c));
        self.text.get(start..end).unwrap_or_default()
    }

    pub fn partition(&self) -> &str {
        self.field(1)
    }
    pub fn service(&self) -> &str {
        self.field(2)
    }
    pub fn region(&self) -> &str {
        self.field(3)
    }
    pub fn account(&self) -> &str {
        self.field(4)
    }
    /// Everything after the account: `user/dev/alice`, `secret:prod/db-AbCdEf`.
    pub fn resource(&self) -> &str {
        self.field(5)
    }

    /// The resource type: the resource up to its first `/` or `:` (`user`, `secret`, `root`).
    pub fn resource_type(&self) -> &str {
        let r = self.resource();
        r.split(['/', ':']).next().unwrap_or(r)
    }

    /// The resource after its type and separator (`dev/alice`, `prod/db-AbCdEf`); empty when the
    /// resource is only a type (`root`).
    pub fn resource_id(&self) -> &str {
        let r = self.resource();
        r.find(['/', ':'])
            .and_then(|i| r.get(i + 1..))
            .unwrap_or_default()
    }

    /// For a path-carrying resource (`user/dev/alice`): the last segment (`alice`).
    pub fn name(&self) -> &str {
        let id = self.resource_id();
        id.rsplit('/').next().unwrap_or(id)
    }

    /// For a path-carrying resource (`user/dev/alice`): the path with its slashes (`/dev/`).
    pub fn path(&self) -> &str {
        let r = self.resource();
        match (r.find('/'), r.rfind('/')) {
            (Some(first), Some(last)) => r.get(first..=last).unwrap_or("/"),
            _ => "/",
        }
    }

    /// The account field, if not empty.
    pub fn account_opt(&self) -> Option<&str> {
        Some(self.account()).filter(|a| !a.is_empty())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Arn({})", self.text)
    }
}

impl AsRef<str> for Arn {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl From<Arn> for String {
    fn from(a: Arn) -> String {
        a.text
    }
}

impl std::str::FromStr for Arn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Arn, ArnError> {
        Arn::parse(s)
    }
}

/// The account field of anything ARN-shaped, if it has one (`None` for a bare name).
pub fn account_of(text: &str) -> Option<&str> {
    let mut parts = text.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    (!account.is_empty()).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parts_of_iam_and_secret_arns() {
        let a = Arn::parse("arn:aws:iam::123456789012:user/dev/alice").unwrap();
        assert_eq!(
            (a.partition(), a.service(), a.region(), a.account()),
            ("aws", "iam", "", "123456789012")
        );
        assert_eq!(a.resource(), "user/dev/alice");
        assert_eq!(
            (a.resource_type(), a.resource_id(), a.name(), a.path()),
            ("user", "dev/alice", "alice", "/dev/")
        );
        let s =
            Arn::parse("arn:aws:secretsmanager:us-east-1:111122223333:secret:a:b-AbCdEf").unwrap();
        assert_eq!(s.region(), "us-east-1");
        assert_eq!(s.resource_type(), "secret");
        assert_eq!(s.resource_id(), "a:b-AbCdEf");
        let root = Arn::root("111122223333");
        assert_eq!(root.as_str(), "arn:aws:iam::111122223333:root");
        assert_eq!((root.resource_type(), root.resource_id()), ("root", ""));
        assert_eq!(root.path(), "/");
        let built = Arn::iam("1", "role", "/", "r");
        assert_eq!(built.as_str(), "arn:aws:iam::1:role/r");
        assert_eq!(built, Arn::parse("arn:aws:iam::1:role/r").unwrap());
        let built = Arn::of("secretsmanager", "eu-west-1", "2", "secret:x-AbCdEf");
        assert_eq!(built, Arn::parse(built.as_str()).unwrap());
    }

    #[test]
    fn not_arns() {
        for bad in [
            "",
            "my-secret",
            "arn:aws:iam::1",
            "arn::iam::1:user/a",
            "arn:aws:::1:x",
            "arn:aws:iam::1:",
            "ARN:aws:iam::1:user/a",
        ] {
            assert!(Arn::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(account_of("arn:aws:iam::aws:policy/X"), Some("aws"));
        assert_eq!(account_of("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of("name"), None);
    }

    proptest! {
        #[test]
        fn display_round_trips(p in "[a-z-]{1,10}", s in "[a-z0-9]{1,12}", r in "[a-z0-9-]{0,12}",
                               a in "[0-9]{0,12}", res in "[ -~]{1,40}") {
            let text = format!("arn:{p}:{s}:{r}:{a}:{res}");
            let arn = Arn::parse(&text).unwrap();
            prop_assert_eq!(arn.to_string(), text);
            prop_assert_eq!(arn.account(), a.as_str());
            prop_assert_eq!(arn.resource(), res.as_str());
        }
    }
}
