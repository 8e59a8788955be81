//! Helpers for IAM's simulation APIs (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`) and
//! the offline `iamd policy simulate`: typed context entries as the API takes them, and a JSON
//! rendering of decisions.

use std::net::IpAddr;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::condition::parse_date;
use crate::context::{Context, ContextValue};
use crate::eval::{Decision, Outcome, Request};

/// `ContextKeyType` of IAM's `ContextEntry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextKeyType {
    String,
    StringList,
    Numeric,
    NumericList,
    Boolean,
    BooleanList,
    Ip,
    IpList,
    Binary,
    BinaryList,
    Date,
    DateList,
}

impl ContextKeyType {
    /// Parses IAM's spelling (`string`, `stringList`, `numeric`, … `dateList`).
    pub fn from_name(s: &str) -> Option<ContextKeyType> {
        use ContextKeyType::*;
        Some(match s {
            "string" => String,
            "stringList" => StringList,
            "numeric" => Numeric,
            "numericList" => NumericList,
            "boolean" => Boolean,
            "booleanList" => BooleanList,
            "ip" => Ip,
            "ipList" => IpList,
            "binary" => Binary,
            "binaryList" => BinaryList,
            "date" => Date,
            "dateList" => DateList,
            _ => return None,
        })
    }

    fn is_list(self) -> bool {
        use ContextKeyType::*;
        matches!(
            self,
            StringList | NumericList | BooleanList | IpList | BinaryList | DateList
        )
    }
}

/// A context entry value that does not fit its declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value `{value}` for context key `{key}` of type {key_type}")]
pub struct ContextEntryError {
    key: String,
    value: String,
    key_type: &'static str,
}

fn typed(key: &str, t: ContextKeyType, v: &str) -> Result<ContextValue, ContextEntryError> {
    use ContextKeyType::*;
    let bad = |tn: &'static str| ContextEntryError {
        key: key.to_owned(),
        value: v.to_owned(),
        key_type: tn,
    };
    Ok(match t {
        String | StringList => ContextValue::String(v.to_owned()),
        Numeric | NumericList => ContextValue::Number(
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| bad("numeric"))?,
        ),
        Boolean | BooleanList => match v.to_ascii_lowercase().as_str() {
            "true" => ContextValue::Bool(true),
            "false" => ContextValue::Bool(false),
            _ => return Err(bad("boolean")),
        },
        Ip | IpList => ContextValue::Ip(v.trim().parse::<IpAddr>().map_err(|_| bad("ip"))?),
        Binary | BinaryList => ContextValue::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .map_err(|_| bad("binary"))?,
        ),
        Date | DateList => ContextValue::Date(parse_date(v).ok_or_else(|| bad("date"))?),
    })
}

/// Adds one IAM `ContextEntry` (`ContextKeyName`, `ContextKeyValues`, `ContextKeyType`) to a
/// context, converting values to their declared type. List types become multivalued keys.
pub fn add_context_entry(
    ctx: &mut Context,
    name: &str,
    values: &[String],
    key_type: ContextKeyType,
) -> Result<(), ContextEntryError> {
    let vals = values
        .iter()
        .map(|v| typed(name, key_type, v))
        .collect::<Result<Vec<_>, _>>()?;
    if key_type.is_list() {
        ctx.set_multi(name, vals);
    } else if let Some(v) = vals.into_iter().next() {
        ctx.set(name, v);
    }
    Ok(())
}

impl Decision<'_> {
    /// A JSON rendering (for `--json` output and audit logs): outcome, denial, per-type
    /// results, matched statements with positions, the AccessDenied text and the explanation.
    pub fn to_json(&self, req: &Request<'_>) -> Value {
        let res = |r: Option<crate::eval::PolicyResult>| match r {
            None => Value::Null,
            Some(crate::eval::PolicyResult::Allow) => json!("allow"),
            Some(crate::eval::PolicyResult::ExplicitDeny) => json!("explicitDeny"),
            Some(crate::eval::PolicyResult::NoMatch) => json!("noMatch"),
        };
        let matched: Vec<Value> = self
            .matched
            .iter()
            .map(|m| {
                let pos = m.statement_position();
                json!({
                    "policyType": m.policy_type.phrase(),
                    "policyId": m.policy_id,
                    "level": m.level,
                    "sid": m.sid(),
                    "index": m.index(),
                    "effect": m.effect().as_str(),
                    "decisive": matches!(
                        (self.outcome, m.effect()),
                        (Outcome::ExplicitDeny, crate::policy::Effect::Deny)
                            | (Outcome::Allowed, crate::policy::Effect::Allow)
                    ),
                    "startPosition": pos.map(|(s, _)| json!({"line": s.line, "column": s.column})),
                    "endPosition": pos.map(|(_, e)| json!({"line": e.line, "column": e.column})),
                })
            })
            .collect();
        json!({
            "decision": self.outcome.simulation_value(),
            "deniedBy": self.denial.map(|d| json!({"policyType": d.policy_type.phrase(), "explicit": d.explicit})),
            "crossAccount": self.cross_account,
            "results": {
                "identity": res(self.results.identity),
                "permissionsBoundary": res(self.results.boundary),
                "session": res(self.results.session),
                "resource": res(self.results.resource),
                "serviceControl": res(self.results.scp),
                "resourceControl": res(self.results.rcp),
            },
            "matchedStatements": matched,
            "nearMisses": self.near_misses.iter().map(|n| json!({
                "policyType": n.policy_type.phrase(),
                "policyId": n.policy_id,
                "sid": n.statement.sid(),
                "index": n.statement.index(),
                "effect": n.statement.effect().as_str(),
                "failedCondition": {"operator": n.condition.operator_name(), "key": n.condition.key()},
            })).collect::<Vec<_>>(),
            "accessDeniedMessage": self.access_denied_message(req, req.resource != "*"),
            "explanation": self.explain(req),
        })
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod tests {
    use super::*;
    use crate::*;
    use time::OffsetDateTime;

    #[test]
    fn context_entries_are_typed() {
        let mut c = Context::new();
        add_context_entry(
            &mut c,
            "aws:SourceIp",
            &["10.0.0.1".into()],
            ContextKeyType::Ip,
        )
        .unwrap();
        add_context_entry(
            &mut c,
            "aws:TagKeys",
            &["a".into(), "b".into()],
            ContextKeyType::StringList,
        )
        .unwrap();
        add_context_entry(
            &mut c,
            "aws:MultiFactorAuthAge",
            &["30".into()],
            ContextKeyType::Numeric,
        )
        .unwrap();
        assert!(matches!(
            c.get("aws:sourceip").unwrap().values[0],
            ContextValue::Ip(_)
        ));
        assert!(c.get("aws:TagKeys").unwrap().multi);
        let e = add_context_entry(&mut c, "k:n", &["x".into()], ContextKeyType::Numeric);
        assert!(e.is_err());
        assert_eq!(
            ContextKeyType::from_name("dateList"),
            Some(ContextKeyType::DateList)
        );
        assert_eq!(ContextKeyType::from_name("Date"), None);
    }

    #[test]
    fn decision_json_has_positions_and_message() {
        let text = "{\"Version\":\"2012-10-17\",\n\"Statement\":[\n  {\"Sid\":\"D\",\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
        let p = Policy::parse(text, PolicyKind::Identity).unwrap();
        let who = PrincipalFacts::user("111122223333", "/", "u", "AIDAX");
        let ctx = principal_context(&who, OffsetDateTime::UNIX_EPOCH);
        let set = PolicySet {
            identity: vec![NamedPolicy::new("p", &p)],
            ..Default::default()
        };
        let req = Request {
            principal: &who,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            resource_account: None,
            context: &ctx,
        };
        let j = evaluate(&req, &set).to_json(&req);
        assert_eq!(j["decision"], "explicitDeny");
        assert_eq!(j["matchedStatements"][0]["startPosition"]["line"], 3);
        assert_eq!(j["matchedStatements"][0]["startPosition"]["column"], 3);
        assert!(
            j["accessDeniedMessage"]
                .as_str()
                .unwrap()
                .ends_with("with an explicit deny in an identity-based policy")
        );
    }
}
