#![no_main]
//! awsJson1.1 body decoding for every Secrets Manager operation, plus encoding.
use iamd_api::{Service, decode_json, encode_json_error, encode_json_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (sel, body) = match data.split_first() {
        Some((s, rest)) => (*s as usize, rest),
        None => (0, data),
    };
    let service = Service::SecretsManager;
    let ops = service.operations();
    let op = &ops[sel % ops.len()];
    let target = format!("secretsmanager.{}", op.name);
    match decode_json(service, &target, body) {
        Ok((op, value)) => {
            let _ = encode_json_response(op, &value);
        }
        Err(e) => {
            let _ = encode_json_error(&e);
        }
    }
    // The target header is attacker-controlled as well.
    if let Ok(t) = std::str::from_utf8(body) {
        let _ = decode_json(service, t, b"{}");
    }
});
