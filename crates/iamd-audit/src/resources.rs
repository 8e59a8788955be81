//! `resources`: what a request acted on, `(type, ARN)`, from its input and (when it succeeded)
//! its output, which holds the canonical ARN (a secret's full ARN, a user's path).

use iamd_api::{Service, Value};

fn member<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Structure(m) => m.iter().find(|(k, _)| *k == name).map(|(_, v)| v),
        _ => None,
    }
}

fn string<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    match member(v, name)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// IAM entities: (input member naming it, output structure holding it, type, ARN segment).
const IAM_KINDS: [(&str, &str, &str, &str); 4] = [
    ("UserName", "User", "AWS::IAM::User", "user"),
    ("RoleName", "Role", "AWS::IAM::Role", "role"),
    ("GroupName", "Group", "AWS::IAM::Group", "group"),
    (
        "InstanceProfileName",
        "InstanceProfile",
        "AWS::IAM::InstanceProfile",
        "instance-profile",
    ),
];

/// The resources of one request.
pub fn resources(
    service: Service,
    account: &str,
    region: &str,
    input: &Value,
    output: Option<&Value>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match service {
        Service::SecretsManager => {
            let arn = output
                .and_then(|o| string(o, "ARN"))
                .map(str::to_owned)
                .or_else(|| {
                    string(input, "SecretId").map(|id| {
                        if id.starts_with("arn:") {
                            id.to_owned()
                        } else {
                            format!("arn:aws:secretsmanager:{region}:{account}:secret:{id}")
                        }
                    })
                })
                .or_else(|| {
                    string(input, "Name")
                        .map(|n| format!("arn:aws:secretsmanager:{region}:{account}:secret:{n}"))
                });
            if let Some(arn) = arn {
                out.push(("AWS::SecretsManager::Secret".to_owned(), arn));
            }
        }
        // LookupEvents names no resource.
        Service::CloudTrail => {}
        Service::Sts => {
            if let Some(arn) = string(input, "RoleArn") {
                out.push(("AWS::IAM::Role".to_owned(), arn.to_owned()));
            }
        }
        Service::Iam => {
            for (input_name, output_name, ty, segment) in IAM_KINDS {
                let from_output = output
                    .and_then(|o| member(o, output_name))
                    .and_then(|s| string(s, "Arn"));
                let arn = match (from_output, string(input, input_name)) {
                    (Some(arn), _) => Some(arn.to_owned()),
                    (None, Some(name)) => Some(format!("arn:aws:iam::{account}:{segment}/{name}")),
                    (None, None) => None,
                };
                if let Some(arn) = arn {
                    out.push((ty.to_owned(), arn));
                }
            }
            let policy = string(input, "PolicyArn").map(str::to_owned).or_else(|| {
                output
                    .and_then(|o| member(o, "Policy"))
                    .and_then(|p| string(p, "Arn"))
                    .map(str::to_owned)
            });
            if let Some(arn) = policy {
                out.push(("AWS::IAM::Policy".to_owned(), arn));
            }
        }
    }
    out
}
