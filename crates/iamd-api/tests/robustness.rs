#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Random inputs never panic.

use iamd_api::{Service, decode_json, decode_query, encode_query_error, parse_form};
use proptest::prelude::*;

fn key_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Action".to_string()),
        Just("Version".to_string()),
        Just("RoleArn".to_string()),
        Just("RoleSessionName".to_string()),
        Just("DurationSeconds".to_string()),
        Just("Tags".to_string()),
        "Tags\\.member\\.[0-9]{1,12}\\.(Key|Value|x)",
        "TransitiveTagKeys\\.member\\.[0-9]{1,3}",
        "PolicyArns(\\.member)?(\\.[0-9a-z]{0,3}){0,3}",
        "ContextEntries\\.member\\.[0-9]\\.ContextKeyValues\\.member\\.[0-9]",
        "[A-Za-z.]{0,20}",
    ]
}

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AssumeRole".to_string()),
        Just("SimulateCustomPolicy".to_string()),
        Just("2011-06-15".to_string()),
        Just("2010-05-08".to_string()),
        Just("arn:aws:iam::111111111111:role/r".to_string()),
        "[0-9]{0,12}",
        ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_params_never_panic(params in prop::collection::vec((key_strategy(), value_strategy()), 0..24)) {
        for s in [Service::Sts, Service::Iam, Service::SecretsManager] {
            match decode_query(s, &params) {
                Ok(_) => {}
                Err(e) => {
                    prop_assert!(e.status == 400);
                    let _ = encode_query_error(s, &e, "r");
                }
            }
        }
    }

    #[test]
    fn random_forms_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let params = parse_form(&body);
        let _ = decode_query(Service::Sts, &params);
    }

    #[test]
    fn random_json_never_panics(body in prop::collection::vec(any::<u8>(), 0..256), op in 0usize..26) {
        let name = Service::SecretsManager.operations()[op].name;
        let _ = decode_json(Service::SecretsManager, &format!("secretsmanager.{name}"), &body);
    }

    #[test]
    fn random_json_shaped_values_never_panic(
        name in prop_oneof![Just("Name"), Just("SecretId"), Just("Tags"), Just("Filters"), Just("PasswordLength"), Just("SecretBinary")],
        v in prop_oneof![Just("1".to_string()), Just("1.5".to_string()), Just("true".to_string()), Just("null".to_string()),
                         Just("[{\"Key\":1}]".to_string()), Just("{\"a\":[]}".to_string()), "\"[^\"\\\\]{0,20}\""],
        op in prop_oneof![Just("CreateSecret"), Just("ListSecrets"), Just("GetRandomPassword"), Just("TagResource")],
    ) {
        let body = format!("{{\"{name}\":{v}}}");
        let _ = decode_json(Service::SecretsManager, &format!("secretsmanager.{op}"), body.as_bytes());
    }
}
