//! Rendering decisions: AWS's AccessDenied text (reference §4.5) and a human explanation.

use std::fmt::Write as _;

use crate::eval::{
    Decision, Denial, Outcome, PolicyResult, PolicyType, Request, ResourcePolicyKind,
};

/// Renders AWS's AccessDenied message:
/// `User: <arn> is not authorized to perform: <action>[ on resource: <res>] because no <type>
/// allows the <action> action` or `… with an explicit deny in a[n] <type>`.
///
/// `resource` is `None` for actions that print no resource (e.g. `ListSecrets`). An implicit
/// SCP denial is worded as an explicit deny, as AWS does (reference §1.2 step 3). Without a
/// denial (or for an SCP/RCP-less unknown case) the context clause is omitted.
pub fn access_denied_message(
    principal_arn: &str,
    action: &str,
    resource: Option<&str>,
    denial: Option<Denial>,
) -> String {
    let mut s = format!("User: {principal_arn} is not authorized to perform: {action}");
    if let Some(r) = resource {
        let _ = write!(s, " on resource: {r}");
    }
    if let Some(d) = denial {
        let phrase = d.policy_type.phrase();
        if d.explicit || d.policy_type == PolicyType::ServiceControl {
            let article = if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            let _ = write!(s, " with an explicit deny in {article} {phrase}");
        } else {
            let _ = write!(s, " because no {phrase} allows the {action} action");
        }
    }
    s
}

fn result_text(r: Option<PolicyResult>) -> &'static str {
    match r {
        None => "not present",
        Some(PolicyResult::Allow) => "allows",
        Some(PolicyResult::ExplicitDeny) => "explicitly denies",
        Some(PolicyResult::NoMatch) => "does not allow (no statement matched)",
    }
}

impl Decision<'_> {
    /// The AccessDenied text for this decision (`None` when allowed). Role-trust evaluations
    /// (`sts:AssumeRole*`) get AWS's classic form without a reason clause — every recorded
    /// AssumeRole denial reads `User: … is not authorized to perform: sts:AssumeRole on
    /// resource: <role arn>` (e.g. aws/karpenter-provider-aws#4680, 2023; reference §9.2).
    pub fn access_denied_message(&self, req: &Request<'_>, show_resource: bool) -> Option<String> {
        if self.is_allowed() {
            return None;
        }
        let denial = if self.resource_kind == ResourcePolicyKind::RoleTrust {
            None
        } else {
            self.denial
        };
        Some(access_denied_message(
            &req.principal.arn,
            req.action,
            show_resource.then_some(req.resource),
            denial,
        ))
    }

    /// A multi-line human explanation: outcome, the responsible policy type, the per-type
    /// results and every matched statement.
    pub fn explain(&self, req: &Request<'_>) -> String {
        let mut s = String::new();
        let verdict = match self.outcome {
            Outcome::Allowed => "ALLOWED",
            Outcome::ImplicitDeny => "DENIED (implicit: nothing allowed it)",
            Outcome::ExplicitDeny => "DENIED (explicit deny)",
        };
        let _ = writeln!(
            s,
            "{verdict}: {} {} on {}",
            req.principal.arn, req.action, req.resource
        );
        let _ = writeln!(
            s,
            "  {} request",
            if self.cross_account {
                "cross-account"
            } else {
                "same-account"
            }
        );
        if let Some(d) = self.denial {
            let _ = writeln!(
                s,
                "  decided by: {} ({})",
                d.policy_type.phrase(),
                if d.explicit {
                    "a Deny statement matched"
                } else {
                    "no Allow statement matched"
                }
            );
        }
        let r = &self.results;
        for (name, v) in [
            ("identity-based policies", r.identity),
            ("permissions boundary", r.boundary),
            ("session policies", r.session),
            ("resource-based policy", r.resource),
            ("service control policies", r.scp),
            ("resource control policies", r.rcp),
        ] {
            let _ = writeln!(s, "  {name}: {}", result_text(v));
        }
        if let Some(g) = r.resource_grant {
            let _ = writeln!(s, "  resource policy names the caller as: {g:?}");
        }
        if self.matched.is_empty() {
            let _ = writeln!(s, "  no statement matched");
        }
        for m in &self.matched {
            let _ = write!(
                s,
                "  matched: {} {} `{}` statement #{}",
                m.effect().as_str(),
                m.policy_type.phrase(),
                m.policy_id,
                m.index()
            );
            if let Some(sid) = m.sid() {
                let _ = write!(s, " (Sid `{sid}`)");
            }
            if let Some(l) = m.level {
                let _ = write!(s, " at OU level {l}");
            }
            s.push('\n');
        }
        for n in &self.near_misses {
            let _ = write!(
                s,
                "  not applied: {} {} `{}` statement #{}",
                n.statement.effect().as_str(),
                n.policy_type.phrase(),
                n.policy_id,
                n.statement.index()
            );
            if let Some(sid) = n.statement.sid() {
                let _ = write!(s, " (Sid `{sid}`)");
            }
            let _ = match req.context.get(n.condition.key()) {
                None => writeln!(
                    s,
                    ": condition `{}` on `{}` did not hold (key absent from the request)",
                    n.condition.operator_name(),
                    n.condition.key()
                ),
                Some(e) => writeln!(
                    s,
                    ": condition `{}` on `{}` did not hold (request value: {})",
                    n.condition.operator_name(),
                    n.condition.key(),
                    e.values
                        .iter()
                        .map(|v| format!("`{}`", v.as_text()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_names_the_failing_condition() {
        use crate::*;
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"Team","Effect":"Allow","Action":"s3:*","Resource":"*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        let mut who = PrincipalFacts::user("111122223333", "/", "u", "AIDAX");
        who.tags = vec![("team".into(), "red".into())];
        let ctx = principal_context(&who, time::OffsetDateTime::UNIX_EPOCH);
        let set = PolicySet {
            identity: vec![NamedPolicy::new("team-access", &p)],
            ..Default::default()
        };
        let req = Request {
            principal: &who,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            resource_account: None,
            context: &ctx,
        };
        let d = evaluate(&req, &set);
        assert_eq!(d.near_misses.len(), 1);
        let text = d.explain(&req);
        assert!(
            text.contains("not applied: Allow identity-based policy `team-access` statement #0 (Sid `Team`): condition `StringEquals` on `aws:PrincipalTag/team` did not hold (request value: `red`)"),
            "{text}"
        );
    }

    #[test]
    fn messages() {
        assert_eq!(
            access_denied_message(
                "arn:aws:sts::763606934258:assumed-role/Atlantis/s",
                "secretsmanager:GetResourcePolicy",
                Some("arn:aws:secretsmanager:us-east-1:763606934258:secret:x-2jm5Pa"),
                Some(Denial {
                    policy_type: PolicyType::IdentityBased,
                    explicit: false
                })
            ),
            "User: arn:aws:sts::763606934258:assumed-role/Atlantis/s is not authorized to perform: secretsmanager:GetResourcePolicy on resource: arn:aws:secretsmanager:us-east-1:763606934258:secret:x-2jm5Pa because no identity-based policy allows the secretsmanager:GetResourcePolicy action"
        );
        assert_eq!(
            access_denied_message(
                "arn:aws:iam::123456789012:user/u",
                "secretsmanager:GetSecretValue",
                Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:*"),
                Some(Denial {
                    policy_type: PolicyType::ResourceBased,
                    explicit: true
                })
            ),
            "User: arn:aws:iam::123456789012:user/u is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:* with an explicit deny in a resource-based policy"
        );
        assert_eq!(
            access_denied_message(
                "arn:aws:iam::123456789012:user/u",
                "secretsmanager:ListSecrets",
                None,
                Some(Denial {
                    policy_type: PolicyType::ServiceControl,
                    explicit: false
                })
            ),
            "User: arn:aws:iam::123456789012:user/u is not authorized to perform: secretsmanager:ListSecrets with an explicit deny in a service control policy"
        );
        assert!(
            access_denied_message(
                "a",
                "x:Y",
                None,
                Some(Denial {
                    policy_type: PolicyType::IdentityBased,
                    explicit: true
                })
            )
            .ends_with("with an explicit deny in an identity-based policy")
        );
    }
}
