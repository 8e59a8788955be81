//! Every typed operation iamd serves, by service: each domain owns its table.

use crate::cloudtrail::CloudTrailDomain;
use crate::iam::IamDomain;
use crate::op::Operation;
use crate::secrets::SecretsDomain;
use crate::sts::StsDomain;
use iamd_api::Service;
use std::sync::OnceLock;

/// One operation of one of the tables, with the domain it runs in.
#[derive(Clone, Copy)]
pub enum Entry {
    Iam(&'static dyn Operation<IamDomain>),
    Sts(&'static dyn Operation<StsDomain>),
    Secrets(&'static dyn Operation<SecretsDomain>),
    CloudTrail(&'static dyn Operation<CloudTrailDomain>),
}

impl Entry {
    pub fn service(self) -> Service {
        match self {
            Entry::Iam(o) => o.service(),
            Entry::Sts(o) => o.service(),
            Entry::Secrets(o) => o.service(),
            Entry::CloudTrail(o) => o.service(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Entry::Iam(o) => o.name(),
            Entry::Sts(o) => o.name(),
            Entry::Secrets(o) => o.name(),
            Entry::CloudTrail(o) => o.name(),
        }
    }

    pub fn writes_ever(self) -> bool {
        match self {
            Entry::Iam(o) => o.writes_ever(),
            Entry::Sts(o) => o.writes_ever(),
            Entry::Secrets(o) => o.writes_ever(),
            Entry::CloudTrail(o) => o.writes_ever(),
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}:{}", self.service(), self.name())
    }
}

/// Every typed operation of every table.
pub fn all() -> impl Iterator<Item = Entry> {
    crate::iam::ops::TABLES
        .iter()
        .flat_map(|t| t.iter())
        .map(|o| Entry::Iam(*o))
        .chain(crate::sts::ops::OPS.iter().map(|o| Entry::Sts(*o)))
        .chain(
            crate::secrets::ops::TABLES
                .iter()
                .flat_map(|t| t.iter())
                .map(|o| Entry::Secrets(*o)),
        )
        .chain(
            crate::cloudtrail::ops::OPS
                .iter()
                .map(|o| Entry::CloudTrail(*o)),
        )
}

/// The typed operation `name` of `service`, if iamd serves it: a binary search of every table's
/// operations by name (a linear walk cost about 2,000 instructions a request).
pub fn find(service: Service, name: &str) -> Option<Entry> {
    static INDEX: OnceLock<Vec<(&'static str, Entry)>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut v: Vec<_> = all().map(|e| (e.name(), e)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    });
    let from = index.partition_point(|(n, _)| *n < name);
    index
        .get(from..)?
        .iter()
        .take_while(|(n, _)| *n == name)
        .map(|(_, e)| *e)
        .find(|e| e.service() == service)
}
