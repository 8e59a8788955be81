//! Which mode a store was created in: `--dev` or production.
//!
//! A dev store holds accounts anybody can sign in to with `test`/`test`; a production store holds a
//! management account whose root key was written once to the bootstrap file. Serving one as the
//! other either locks its owner out (a dev store in production: `test`/`test` is refused and no
//! bootstrap happens, since accounts exist) or opens it to everybody (a production store with
//! `--dev`). So the first start records the mode in the store's metadata (`store_mode`, and
//! `store_mode_since` in Unix seconds), and every later start compares: [`claim`].
//!
//! The metadata survives the dev-mode reset (`Tx::clear` keeps it), so a reset dev store stays a
//! dev store.
//!
//! Stores from before the mark have none; their mode is inferred once and then recorded:
//! - the bootstrap marker (`bootstrapped`, set by production's first start) → production;
//! - otherwise any account or access key → dev (only dev mode creates accounts without
//!   bootstrapping: production bootstraps before it serves anything);
//! - otherwise the store is empty → it takes the mode of this start, like a new store.

use crate::accounts::{AccountRecord, KIND_ACCESS_KEY, KIND_ACCOUNT, META_BOOTSTRAPPED};
use crate::error::Error;
use iamd_store::{Store, StoreExt, Tx};

const META_MODE: &str = "store_mode";
const META_MODE_SINCE: &str = "store_mode_since";

/// The two modes a store can be created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Dev,
    Production,
}

impl StoreMode {
    pub fn of(dev: bool) -> Self {
        if dev { Self::Dev } else { Self::Production }
    }

    fn as_meta(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Production => "production",
        }
    }

    fn from_meta(value: &str) -> Option<Self> {
        match value {
            "dev" => Some(Self::Dev),
            "production" => Some(Self::Production),
            _ => None,
        }
    }
}

/// How the mode of a store that matches this start was established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// A new (empty) store: marked now with this start's mode.
    New,
    /// The store was marked before, in this mode, at `since` (Unix seconds).
    Marked { since: i64 },
    /// A store from before the mark: its mode was inferred (`why`) and recorded now.
    Inferred { why: &'static str },
}

/// A store created in the other mode than this start's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The mode the store was created in.
    pub store: StoreMode,
    /// When it was created (marked, or for an unmarked store its oldest account), if known.
    pub since: Option<i64>,
    /// For an unmarked store: how its mode was inferred.
    pub inferred: Option<&'static str>,
    /// A production store's management account.
    pub management_account: Option<String>,
}

/// Compares the store's mode with this start's (`dev`) and records it on a new or unmarked store,
/// in one write transaction (nodes starting together on one PostgreSQL store agree). Nothing is
/// written when the modes differ.
pub fn claim(store: &dyn Store, dev: bool, now: i64) -> Result<Result<Claimed, Mismatch>, Error> {
    let wanted = StoreMode::of(dev);
    // A marked store is only read: a write would bump the revision and make every other node
    // sharing the database rebuild its views.
    if let Some(decided) = store.read(|tx| compare(tx, wanted, now))? {
        return Ok(decided);
    }
    store.write(|tx| {
        if let Some(decided) = compare(tx, wanted, now)? {
            return Ok(decided);
        }
        let management = tx.get_meta(META_BOOTSTRAPPED)?;
        let (inferred, since, why) = infer(tx, management.as_deref())?;
        let claimed = match inferred {
            Some(mode) if mode != wanted => {
                return Ok(Err(Mismatch {
                    store: mode,
                    since,
                    inferred: Some(why),
                    management_account: management,
                }));
            }
            Some(_) => Claimed::Inferred { why },
            None => Claimed::New,
        };
        tx.set_meta(META_MODE, wanted.as_meta())?;
        tx.set_meta(META_MODE_SINCE, &since.unwrap_or(now).to_string())?;
        Ok(Ok(claimed))
    })
}

/// The decision for a marked store; `None` when it has no mark.
fn compare(
    tx: &mut dyn Tx,
    wanted: StoreMode,
    now: i64,
) -> Result<Option<Result<Claimed, Mismatch>>, Error> {
    let Some(value) = tx.get_meta(META_MODE)? else {
        return Ok(None);
    };
    let Some(mode) = StoreMode::from_meta(&value) else {
        return Err(Error::Config(format!(
            "the store is marked as created in mode `{value}`, which this version does not know"
        )));
    };
    let since = tx
        .get_meta(META_MODE_SINCE)?
        .and_then(|s| s.parse::<i64>().ok());
    if mode != wanted {
        return Ok(Some(Err(Mismatch {
            store: mode,
            since,
            inferred: None,
            management_account: tx.get_meta(META_BOOTSTRAPPED)?,
        })));
    }
    Ok(Some(Ok(Claimed::Marked {
        since: since.unwrap_or(now),
    })))
}

/// The mode of a store without a mark, when its contents tell; with the time of its oldest
/// account (or the management account's) and the reason.
fn infer(
    tx: &mut dyn Tx,
    management: Option<&str>,
) -> Result<(Option<StoreMode>, Option<i64>, &'static str), Error> {
    let accounts = tx.list_kind(KIND_ACCOUNT)?;
    let created = |id: &str| {
        accounts
            .iter()
            .filter(|r| r.account == id)
            .find_map(|r| serde_json::from_slice::<AccountRecord>(&r.data).ok())
            .map(|a| a.created_at)
    };
    if let Some(account) = management {
        return Ok((
            Some(StoreMode::Production),
            created(account),
            "it was bootstrapped (it has a management account)",
        ));
    }
    let oldest = accounts
        .iter()
        .filter_map(|r| serde_json::from_slice::<AccountRecord>(&r.data).ok())
        .map(|a| a.created_at)
        .min();
    if !accounts.is_empty() || !tx.list_kind(KIND_ACCESS_KEY)?.is_empty() {
        return Ok((
            Some(StoreMode::Dev),
            oldest,
            "it holds accounts but was never bootstrapped, which only --dev does",
        ));
    }
    Ok((None, None, "it is empty"))
}

/// The bootstrapped management account and when it was created, if the store has one.
pub fn management_account(store: &dyn Store) -> Result<Option<(String, Option<i64>)>, Error> {
    store.read(|tx| {
        let Some(account) = tx.get_meta(META_BOOTSTRAPPED)? else {
            return Ok(None);
        };
        let created = tx
            .get(KIND_ACCOUNT, &account, "")?
            .and_then(|r| serde_json::from_slice::<AccountRecord>(&r.data).ok())
            .map(|a| a.created_at);
        Ok(Some((account, created)))
    })
}

/// Where the bootstrap credentials were written, as recorded by [`record_bootstrap_file`].
pub fn bootstrap_file(store: &dyn Store) -> Result<Option<String>, Error> {
    store.read(|tx| tx.get_meta(META_BOOTSTRAP_FILE).map_err(Error::from))
}

/// Records where the bootstrap credentials were written, for the log of later starts (on a shared
/// PostgreSQL store, another node's data directory may have it).
pub fn record_bootstrap_file(store: &dyn Store, path: &str) -> Result<(), Error> {
    store.write(|tx| tx.set_meta(META_BOOTSTRAP_FILE, path).map_err(Error::from))
}

const META_BOOTSTRAP_FILE: &str = "bootstrap_credentials_file";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Accounts;
    use iamd_crypto::MasterKey;
    use iamd_store::SqliteStore;
    use std::sync::Arc;

    fn store() -> Arc<dyn Store> {
        Arc::new(SqliteStore::open_in_memory().unwrap())
    }

    #[test]
    fn a_new_store_takes_the_mode_of_its_first_start_and_keeps_it() {
        for dev in [true, false] {
            let s = store();
            assert_eq!(claim(&*s, dev, 100).unwrap(), Ok(Claimed::New));
            assert_eq!(
                claim(&*s, dev, 200).unwrap(),
                Ok(Claimed::Marked { since: 100 })
            );
            assert_eq!(
                claim(&*s, !dev, 300).unwrap(),
                Err(Mismatch {
                    store: StoreMode::of(dev),
                    since: Some(100),
                    inferred: None,
                    management_account: None,
                })
            );
            // Checking a marked store writes nothing (other nodes would rebuild their views).
            let rev = s.revision().unwrap();
            claim(&*s, dev, 250).unwrap().unwrap();
            claim(&*s, !dev, 260).unwrap().unwrap_err();
            assert_eq!(s.revision().unwrap(), rev);
            // The refused start wrote nothing: the first mode still holds.
            assert_eq!(
                claim(&*s, dev, 400).unwrap(),
                Ok(Claimed::Marked { since: 100 })
            );
        }
    }

    #[test]
    fn the_mark_survives_the_dev_reset() {
        let s = store();
        let mk = MasterKey::generate().unwrap();
        claim(&*s, true, 1).unwrap().unwrap();
        let a = Accounts::open(s.clone(), &mk, true).unwrap();
        a.ensure_account("111111111111", 2).unwrap();
        a.reset().unwrap();
        assert!(claim(&*s, false, 3).unwrap().is_err());
    }

    /// Stores written before the mark existed: a bootstrapped one is production; one with
    /// accounts and no bootstrap marker is dev; an empty one is new.
    #[test]
    fn unmarked_stores_are_inferred_and_then_marked() {
        let mk = MasterKey::generate().unwrap();
        // Production: bootstrapped by a non-dev start.
        let s = store();
        let a = Accounts::open(s.clone(), &mk, false).unwrap();
        a.bootstrap(Some("123456789012"), 50).unwrap().unwrap();
        let m = claim(&*s, true, 60).unwrap().unwrap_err();
        assert_eq!(m.store, StoreMode::Production);
        assert_eq!(m.since, Some(50));
        assert_eq!(m.management_account.as_deref(), Some("123456789012"));
        assert!(m.inferred.is_some());
        assert!(matches!(
            claim(&*s, false, 70).unwrap(),
            Ok(Claimed::Inferred { .. })
        ));
        assert_eq!(
            claim(&*s, false, 80).unwrap(),
            Ok(Claimed::Marked { since: 50 })
        );
        assert_eq!(
            management_account(&*s).unwrap(),
            Some(("123456789012".to_owned(), Some(50)))
        );

        // Dev: accounts created on first use, never bootstrapped.
        let s = store();
        let a = Accounts::open(s.clone(), &mk, true).unwrap();
        a.ensure_account("000000000000", 20).unwrap();
        a.ensure_account("111111111111", 10).unwrap();
        let m = claim(&*s, false, 30).unwrap().unwrap_err();
        assert_eq!(m.store, StoreMode::Dev);
        assert_eq!(m.since, Some(10));
        assert!(m.inferred.is_some());
        assert!(matches!(
            claim(&*s, true, 40).unwrap(),
            Ok(Claimed::Inferred { .. })
        ));
        assert!(claim(&*s, false, 50).unwrap().is_err());
        assert_eq!(management_account(&*s).unwrap(), None);

        // Empty (a dev store that was reset, or never used): whatever starts it first.
        let s = store();
        assert_eq!(claim(&*s, false, 5).unwrap(), Ok(Claimed::New));
    }

    #[test]
    fn an_unknown_mark_is_an_error_not_a_guess() {
        let s = store();
        s.write(|tx| tx.set_meta(META_MODE, "staging")).unwrap();
        assert!(claim(&*s, true, 1).is_err());
    }

    #[test]
    fn the_bootstrap_file_is_remembered() {
        let s = store();
        assert_eq!(bootstrap_file(&*s).unwrap(), None);
        record_bootstrap_file(&*s, "/d/bootstrap-credentials.json").unwrap();
        assert_eq!(
            bootstrap_file(&*s).unwrap().as_deref(),
            Some("/d/bootstrap-credentials.json")
        );
    }
}
