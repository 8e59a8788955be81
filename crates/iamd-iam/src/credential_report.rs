//! The credential report (GenerateCredentialReport / GetCredentialReport): one CSV row per IAM
//! user and one for the account root, with AWS's 22 columns
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>,
//! aws-semantics-2.md §4.3).
//!
//! iamd builds the report synchronously when GenerateCredentialReport asks for a new one and
//! stores it (one record per account); a report is reused for four hours, as AWS does, and
//! GetCredentialReport refuses it as expired after that.

use super::*;
use crate::iam::last_used::Subject;
use crate::iam::login::LoginProfileRecord;
use crate::iam::mfa::MfaDeviceRecord;
use crate::iam::password_policy::PasswordPolicy;
use serde::{Deserialize, Serialize};

/// Store kind of credential reports: one per account, key `""`.
pub const KIND_CREDENTIAL_REPORT: &str = "iam-credential-report";
/// A report is reused, and can be fetched, for four hours after it was generated.
pub const REPORT_LIFETIME_SECS: i64 = 4 * 3600;

/// The CSV header, AWS's columns in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// A stored report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredReport {
    /// Unix seconds.
    pub generated_at: i64,
    pub content: String,
}

/// What GenerateCredentialReport did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    /// A new report was made (`STARTED`).
    Started,
    /// A report younger than four hours exists (`COMPLETE`).
    Complete,
}

/// One access key as the report shows it.
#[derive(Debug, Clone)]
pub struct KeyFacts {
    pub active: bool,
    pub created: i64,
    pub last_used: Option<last_used::Use>,
}

/// One row's facts: the user (or the root) and its credentials.
#[derive(Debug, Clone)]
pub struct RowFacts {
    /// `None`: the root row.
    pub user: Option<UserRecord>,
    pub created: i64,
    /// When the login profile's password was set (`None`: no password).
    pub password_set: Option<i64>,
    pub mfa_active: bool,
    /// At most two, oldest first.
    pub keys: Vec<KeyFacts>,
}

/// `2017-06-10T02:35:07+00:00`, the report's date format.
pub fn iso(secs: i64) -> String {
    let t = crate::timestamps::at(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn bool_text(b: bool) -> &'static str {
    // Real reports print lower-case booleans (the documentation's TRUE/FALSE notwithstanding):
    // aws-semantics-2.md §0.11.
    if b { "true" } else { "false" }
}

/// One CSV row.
pub fn row(account: &str, f: &RowFacts, policy: Option<&PasswordPolicy>) -> Vec<String> {
    let na = || "N/A".to_owned();
    let mut out: Vec<String> = Vec::with_capacity(COLUMNS.len());
    match &f.user {
        Some(u) => {
            out.push(u.name.clone());
            out.push(entity_arn(account, "user", &u.path, &u.name));
            out.push(iso(f.created));
            out.push(bool_text(f.password_set.is_some()).to_owned());
            // iamd has no console sign-in: a password is never recorded as used.
            out.push(match f.password_set {
                Some(_) => "no_information".to_owned(),
                None => na(),
            });
            out.push(f.password_set.map_or_else(na, iso));
            let max_age = policy.and_then(|p| p.max_age).filter(|d| *d > 0);
            out.push(match (f.password_set, max_age) {
                (Some(set), Some(days)) => iso(set.saturating_add(days.saturating_mul(86_400))),
                _ => na(),
            });
        }
        None => {
            out.push("<root_account>".to_owned());
            out.push(format!("arn:aws:iam::{account}:root"));
            out.push(iso(f.created));
            out.push("not_supported".to_owned());
            out.push("no_information".to_owned());
            out.push("not_supported".to_owned());
            out.push("not_supported".to_owned());
        }
    }
    out.push(bool_text(f.mfa_active).to_owned());
    for i in 0..2 {
        match f.keys.get(i) {
            Some(k) => {
                out.push(bool_text(k.active).to_owned());
                out.push(if k.active { iso(k.created) } else { na() });
                match &k.last_used {
                    Some(u) => {
                        out.push(iso(u.at));
                        out.push(u.region.clone());
                        out.push(u.service.clone());
                    }
                    None => out.extend([na(), na(), na()]),
                }
            }
            None => out.extend([bool_text(false).to_owned(), na(), na(), na(), na()]),
        }
    }
    // iamd has no signing certificates.
    for _ in 0..2 {
        out.push(bool_text(false).to_owned());
        out.push(na());
    }
    out
}

/// The whole report: the header, the root's row, then one row per user.
pub fn render(account: &str, rows: &[RowFacts], policy: Option<&PasswordPolicy>) -> String {
    let mut out = COLUMNS.join(",");
    for f in rows {
        out.push('\n');
        // IAM names are [\w+=,.@-]+: a user name (and so its ARN) may hold a comma; such a
        // field is quoted as RFC 4180 says.
        let cells: Vec<String> = row(account, f, policy)
            .into_iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&cells.join(","));
    }
    out
}

impl Iam {
    /// The facts of every row: the root first, then the users in name order.
    fn report_rows(&self, acct: &str, root_created: i64) -> Result<Vec<RowFacts>, Error> {
        let (users, profiles, devices, keys) = self.read(|tx| {
            let users: Vec<UserRecord> = tx
                .list(records::KIND_USER, acct)?
                .iter()
                .map(|r| from_json(&r.data))
                .collect::<Result<_, Error>>()?;
            let profiles: Vec<LoginProfileRecord> = tx
                .list(login::KIND_LOGIN, acct)?
                .iter()
                .map(|r| from_json(&r.data))
                .collect::<Result<_, Error>>()?;
            let devices: Vec<MfaDeviceRecord> = tx
                .list(mfa::KIND_MFA, acct)?
                .iter()
                .map(|r| from_json(&r.data))
                .collect::<Result<_, Error>>()?;
            let keys = accounts::account_keys(tx, acct)?;
            Ok((users, profiles, devices, keys))
        })?;
        let keys_of = |user: Option<&str>| -> Result<Vec<KeyFacts>, Error> {
            let mut ks: Vec<&AccessKeyRecord> =
                keys.iter().filter(|k| k.user.as_deref() == user).collect();
            ks.sort_by_key(|k| (k.created_at, k.access_key_id.clone()));
            ks.into_iter()
                .take(MAX_ACCESS_KEYS)
                .map(|k| {
                    Ok(KeyFacts {
                        active: k.active,
                        created: k.created_at,
                        last_used: self
                            .last_use(acct, &Subject::AccessKey(k.access_key_id.clone()))?,
                    })
                })
                .collect()
        };
        let mut rows = vec![RowFacts {
            user: None,
            created: root_created,
            password_set: None,
            mfa_active: false,
            keys: keys_of(None)?,
        }];
        for u in users {
            let password_set = profiles
                .iter()
                .find(|p| p.user_id == u.id)
                .map(|p| p.created);
            let mfa_active = devices
                .iter()
                .any(|d| d.user.as_deref() == Some(u.name.as_str()) && d.enabled_at.is_some());
            rows.push(RowFacts {
                created: u.created,
                password_set,
                mfa_active,
                keys: keys_of(Some(&u.name))?,
                user: Some(u),
            });
        }
        Ok(rows)
    }

    /// GenerateCredentialReport: a new report unless one younger than four hours exists.
    pub fn generate_credential_report(
        &self,
        acct: &str,
        root_created: i64,
        now: i64,
    ) -> Result<Generated, Error> {
        if let Some(r) = self.credential_report(acct)?
            && now.saturating_sub(r.generated_at) < REPORT_LIFETIME_SECS
        {
            return Ok(Generated::Complete);
        }
        let rows = self.report_rows(acct, root_created)?;
        let policy = self.password_policy(acct)?;
        let report = StoredReport {
            generated_at: now,
            content: render(acct, &rows, policy.as_ref()),
        };
        let data = to_json(&report)?;
        self.store.write(|tx| {
            tx.put(KIND_CREDENTIAL_REPORT, acct, "", &data, Expect::Any)?;
            Ok::<_, Error>(())
        })?;
        Ok(Generated::Started)
    }

    /// The stored report, whatever its age.
    pub fn credential_report(&self, acct: &str) -> Result<Option<StoredReport>, Error> {
        self.read(|tx| {
            tx.get(KIND_CREDENTIAL_REPORT, acct, "")?
                .map(|r| from_json(&r.data))
                .transpose()
        })
    }

    /// GetCredentialReport: the report, unless there is none or it is older than four hours.
    pub fn get_credential_report(&self, acct: &str, now: i64) -> Result<StoredReport, Error> {
        match self.credential_report(acct)? {
            None => Err(IamError::ReportNotPresent.into()),
            Some(r) if now.saturating_sub(r.generated_at) >= REPORT_LIFETIME_SECS => {
                Err(IamError::ReportExpired.into())
            }
            Some(r) => Ok(r),
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::indexing_slicing,
        reason = "test code: the indices are those of rows and columns the tests build"
    )]
    use super::*;
    use iamd_crypto::MasterKey;
    use iamd_store::SqliteStore;

    const A: &str = "111122223333";

    fn setup() -> (Iam, Accounts) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let mk = MasterKey::generate().unwrap();
        let accounts = Accounts::open(store.clone(), &mk, false).unwrap();
        (Iam::new(store, mk.sealing_key(b"mfa-seed v1")), accounts)
    }

    fn parse(csv: &str) -> Vec<Vec<String>> {
        csv.lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn dates_are_iso_8601_with_an_offset() {
        assert_eq!(iso(1_497_062_107), "2017-06-10T02:35:07+00:00");
    }

    #[test]
    fn the_report_has_awss_columns_the_root_row_first_and_awss_placeholders() {
        let (iam, accounts) = setup();
        let t0 = 1_700_000_000;
        iam.create_user(A, "alice", "/dev/", None, &[], t0).unwrap();
        iam.create_user(A, "bob", "/", None, &[], t0 + 1).unwrap();
        let (k1, _) = iam
            .create_access_key(&accounts, A, KeyScope::User("alice"), t0 + 10)
            .unwrap();
        let (k2, _) = iam
            .create_access_key(&accounts, A, KeyScope::User("alice"), t0 + 20)
            .unwrap();
        iam.update_access_key(
            &accounts,
            A,
            KeyScope::User("alice"),
            &k2.access_key_id,
            false,
        )
        .unwrap();
        iam.create_login_profile(A, "bob", "A-long-passw0rd!", false, t0 + 30)
            .unwrap();
        iam.update_password_policy(
            A,
            &PasswordPolicy {
                max_age: Some(90),
                ..Default::default()
            },
        )
        .unwrap();
        iam.last_used.record(
            A,
            &Subject::AccessKey(k1.access_key_id.clone()),
            &last_used::Use {
                at: t0 + 100,
                service: "sts".into(),
                region: "eu-west-1".into(),
            },
        );
        assert_eq!(
            iam.generate_credential_report(A, t0 - 5, t0 + 200).unwrap(),
            Generated::Started
        );
        let report = iam.get_credential_report(A, t0 + 201).unwrap();
        assert_eq!(report.generated_at, t0 + 200);
        let rows = parse(&report.content);
        assert_eq!(rows.len(), 4, "header, root, alice, bob");
        assert_eq!(rows[0], COLUMNS.map(str::to_owned).to_vec());
        assert!(rows.iter().all(|r| r.len() == 22));
        let col = |r: &Vec<String>, name: &str| {
            r[COLUMNS.iter().position(|c| *c == name).unwrap()].clone()
        };
        let root = &rows[1];
        assert_eq!(root[0], "<root_account>");
        assert_eq!(root[1], format!("arn:aws:iam::{A}:root"));
        assert_eq!(root[2], iso(t0 - 5));
        for c in [
            "password_enabled",
            "password_last_changed",
            "password_next_rotation",
        ] {
            assert_eq!(col(root, c), "not_supported", "{c}");
        }
        assert_eq!(col(root, "password_last_used"), "no_information");
        assert_eq!(col(root, "access_key_1_active"), "false");
        assert_eq!(col(root, "access_key_1_last_rotated"), "N/A");

        let alice = &rows[2];
        assert_eq!(alice[0], "alice");
        assert_eq!(alice[1], format!("arn:aws:iam::{A}:user/dev/alice"));
        assert_eq!(col(alice, "password_enabled"), "false");
        assert_eq!(col(alice, "password_last_used"), "N/A");
        assert_eq!(col(alice, "password_last_changed"), "N/A");
        assert_eq!(col(alice, "password_next_rotation"), "N/A");
        assert_eq!(col(alice, "mfa_active"), "false");
        assert_eq!(col(alice, "access_key_1_active"), "true");
        assert_eq!(col(alice, "access_key_1_last_rotated"), iso(t0 + 10));
        assert_eq!(col(alice, "access_key_1_last_used_date"), iso(t0 + 100));
        assert_eq!(col(alice, "access_key_1_last_used_region"), "eu-west-1");
        assert_eq!(col(alice, "access_key_1_last_used_service"), "sts");
        // The inactive second key: not active, no rotation date (AWS: N/A without an active
        // key), never used.
        assert_eq!(col(alice, "access_key_2_active"), "false");
        assert_eq!(col(alice, "access_key_2_last_rotated"), "N/A");
        assert_eq!(col(alice, "access_key_2_last_used_date"), "N/A");
        assert_eq!(col(alice, "access_key_2_last_used_service"), "N/A");
        assert_eq!(col(alice, "cert_1_active"), "false");
        assert_eq!(col(alice, "cert_2_last_rotated"), "N/A");

        let bob = &rows[3];
        assert_eq!(col(bob, "password_enabled"), "true");
        assert_eq!(col(bob, "password_last_used"), "no_information");
        assert_eq!(col(bob, "password_last_changed"), iso(t0 + 30));
        assert_eq!(
            col(bob, "password_next_rotation"),
            iso(t0 + 30 + 90 * 86_400)
        );
        assert_eq!(col(bob, "access_key_1_active"), "false");
        assert_eq!(col(bob, "access_key_2_last_used_region"), "N/A");
    }

    #[test]
    fn a_report_is_reused_for_four_hours_then_expires_and_is_made_again() {
        let (iam, _) = setup();
        let t0 = 1_700_000_000;
        let e = iam.get_credential_report(A, t0).unwrap_err();
        assert_eq!(
            e.code_and_message(iamd_api::Service::Iam).unwrap().0,
            "ReportNotPresent"
        );
        assert_eq!(
            iam.generate_credential_report(A, t0, t0).unwrap(),
            Generated::Started
        );
        iam.create_user(A, "late", "/", None, &[], t0 + 1).unwrap();
        assert_eq!(
            iam.generate_credential_report(A, t0, t0 + REPORT_LIFETIME_SECS - 1)
                .unwrap(),
            Generated::Complete
        );
        let r = iam
            .get_credential_report(A, t0 + REPORT_LIFETIME_SECS - 1)
            .unwrap();
        assert!(!r.content.contains("late"), "the four-hour-old report");
        let e = iam
            .get_credential_report(A, t0 + REPORT_LIFETIME_SECS)
            .unwrap_err();
        assert_eq!(
            e.code_and_message(iamd_api::Service::Iam),
            Some((
                "ReportExpired",
                "The request was rejected because the most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.".to_owned()
            ))
        );
        assert_eq!(
            iam.generate_credential_report(A, t0, t0 + REPORT_LIFETIME_SECS)
                .unwrap(),
            Generated::Started
        );
        let r = iam
            .get_credential_report(A, t0 + REPORT_LIFETIME_SECS)
            .unwrap();
        assert!(r.content.contains("\nlate,"));
    }

    #[test]
    fn a_user_name_with_a_comma_is_quoted() {
        let (iam, _) = setup();
        iam.create_user(A, "a,b", "/", None, &[], 1).unwrap();
        iam.generate_credential_report(A, 0, 10).unwrap();
        let r = iam.get_credential_report(A, 10).unwrap();
        assert!(
            r.content
                .contains("\n\"a,b\",\"arn:aws:iam::111122223333:user/a,b\","),
            "{}",
            r.content
        );
    }
}
