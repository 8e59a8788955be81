//! Where a request came from: the request context keys the connection, not the signed request,
//! decides (`aws:SourceIp`, `aws:SecureTransport`, `aws:UserAgent`, `aws:Referer`).
//!
//! The server fills a [`RequestOrigin`] per request (`Caller::origin`) and every authorization
//! layers it on the request's context, after the principal's keys, which are built once per
//! credential and shared (`authz::CallerView`): these keys are per request and never cached.

use iamd_policy::Context;
use std::net::IpAddr;

/// The connection-level facts of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The request arrived over TLS (to iamd, or to a trusted proxy that said so).
    pub secure_transport: bool,
    /// The client's address: the TCP peer, or what a trusted proxy forwarded.
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header, when sent.
    pub user_agent: Option<String>,
    /// The `Referer` header, when sent.
    pub referer: Option<String>,
}

impl RequestOrigin {
    /// Adds the keys to a request context. `aws:SecureTransport` is always present (as on AWS);
    /// the others only when known (aws-semantics.md §3.2: `aws:SourceIp` is absent only for
    /// requests AWS does not see the client of, `aws:referer` only when the client sent one).
    pub fn add_to(&self, context: &mut Context) {
        context.set_static("aws:SecureTransport", self.secure_transport);
        if let Some(ip) = self.source_ip {
            context.set_static("aws:SourceIp", ip);
        }
        if let Some(ua) = &self.user_agent {
            context.set_static("aws:UserAgent", ua.as_str());
        }
        if let Some(referer) = &self.referer {
            context.set_static("aws:Referer", referer.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamd_policy::ContextValue;

    #[test]
    fn keys_present_only_when_known() {
        let mut c = Context::new();
        RequestOrigin::default().add_to(&mut c);
        assert_eq!(
            c.get("aws:SecureTransport").map(|e| e.values.clone()),
            Some(vec![ContextValue::Bool(false)])
        );
        assert!(c.get("aws:SourceIp").is_none());
        assert!(c.get("aws:UserAgent").is_none());
        assert!(c.get("aws:referer").is_none());

        let mut c = Context::new();
        RequestOrigin {
            secure_transport: true,
            source_ip: Some("10.1.2.3".parse().unwrap()),
            user_agent: Some("Boto3/1.0".into()),
            referer: Some("https://example.com/".into()),
        }
        .add_to(&mut c);
        assert_eq!(
            c.get("aws:sourceip").map(|e| e.values.clone()),
            Some(vec![ContextValue::Ip("10.1.2.3".parse().unwrap())])
        );
        assert_eq!(
            c.get("aws:SecureTransport").map(|e| e.values.clone()),
            Some(vec![ContextValue::Bool(true)])
        );
        assert!(c.get("aws:UserAgent").is_some());
        assert!(c.get("aws:referer").is_some());
    }
}
