#![no_main]
//! Parse + validate arbitrary bytes as every policy kind; when a document is accepted, also
//! evaluate it once and re-parse its serialisation. Must never panic.
use iamd_policy::{
    Context, NamedPolicy, Policy, PolicyKind, PolicySet, PrincipalFacts, Request,
    ResourcePolicyKind, evaluate,
};
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::PermissionsBoundary,
    PolicyKind::Session,
    PolicyKind::Resource,
    PolicyKind::RoleTrust,
    PolicyKind::ServiceControl,
    PolicyKind::ResourceControl,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let who = PrincipalFacts::user("111122223333", "/", "alice", "AIDAEXAMPLEEXAMPLE");
    let mut ctx = Context::new();
    ctx.set("aws:username", "alice")
        .set("aws:SourceIp", "10.0.0.1")
        .set_multi("aws:TagKeys", ["a", "b"]);
    for kind in KINDS {
        let Ok(p) = Policy::parse(text, kind) else {
            continue;
        };
        let _ = p.size();
        for i in 0..p.statements().len() {
            let _ = p.statement_position(i);
        }
        let again = serde_json::to_string(&p.to_json()).unwrap_or_default();
        let _ = Policy::parse(&again, kind);
        let np = NamedPolicy::new("fuzz", &p);
        let mut set = PolicySet::default();
        match kind {
            PolicyKind::Resource | PolicyKind::RoleTrust | PolicyKind::ResourceControl => {
                set.resource = Some(np);
                if kind == PolicyKind::RoleTrust {
                    set.resource_kind = ResourcePolicyKind::RoleTrust;
                }
            }
            PolicyKind::ServiceControl => set.scp_levels = vec![vec![np]],
            _ => set.identity = vec![np],
        }
        let req = Request {
            principal: &who,
            action: "secretsmanager:GetSecretValue",
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:a/b-AbCdEf",
            resource_account: Some("111122223333"),
            context: &ctx,
        };
        let d = evaluate(&req, &set);
        let _ = d.explain(&req);
    }
});
