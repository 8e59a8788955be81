#![no_main]
//! Form decoder + awsQuery decoding for every IAM and STS operation, plus error encoding.
use iamd_api::{Service, decode_query, encode_query_error, encode_query_response, parse_form};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte picks the operation so every operation's input shape gets exercised.
    let (sel, body) = match data.split_first() {
        Some((s, rest)) => (*s as usize, rest),
        None => (0, data),
    };
    let mut params = parse_form(body);
    for service in [Service::Sts, Service::Iam] {
        let ops = service.operations();
        let op = &ops[sel % ops.len()];
        let mut with_action = params.clone();
        with_action.push(("Action".to_string(), op.name.to_string()));
        with_action.push(("Version".to_string(), service.api_version().to_string()));
        match decode_query(service, &with_action) {
            Ok((op, value)) => {
                // Whatever decodes must encode (as an output of the same op) without panicking.
                let _ = encode_query_response(service, op, &value, "fuzz");
            }
            Err(e) => {
                let _ = encode_query_error(service, &e, "fuzz");
            }
        }
    }
    // Raw parameters too (Action/Version from the input itself).
    params.truncate(256);
    let _ = decode_query(Service::Iam, &params);
});
