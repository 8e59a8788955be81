//! The request's origin (`iamd_service::RequestOrigin`) from its connection and headers.
//!
//! The TCP peer is the client unless it is a trusted proxy (`--trusted-proxy CIDR`): only then
//! are `X-Forwarded-For` and `X-Forwarded-Proto` believed. `X-Forwarded-For` is read from the
//! right (the entry the nearest proxy appended) leftwards for as long as the hops are trusted
//! proxies themselves; the first address that is not one is the client. Whatever a client writes
//! into those headers itself therefore never counts. `X-Forwarded-Proto` is taken from the
//! nearest proxy's (the last) value; with several proxies appending, a plain-HTTP hop anywhere
//! behind the one that terminated TLS makes it `http`, which fails closed.

use axum::http::{HeaderMap, header};
use iamd_service::RequestOrigin;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// What the connection layer knows about the connection a request arrived on; a request
/// extension set by [`crate::conn`]. Requests without it (in-process tests) have no address.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
}

const X_FORWARDED_FOR: header::HeaderName = header::HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: header::HeaderName = header::HeaderName::from_static("x-forwarded-proto");

/// The networks whose connections may speak for their clients (`--trusted-proxy`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets.into_iter().map(|n| n.trunc()).collect())
    }

    /// Parses `--trusted-proxy` values: a CIDR (`10.0.0.0/8`) or a single address.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for v in values.iter().flat_map(|v| v.split(',')) {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let net = v
                .parse::<IpNet>()
                .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("--trusted-proxy: `{v}` is not a CIDR or an IP address"))?;
            nets.push(net);
        }
        Ok(Self::new(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// IPv4 clients of a dual-stack listener arrive as `::ffff:a.b.c.d`: policies name them as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`) as some proxies write it.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    e.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The origin of one request.
pub fn request_origin(
    conn: Option<&ConnInfo>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> RequestOrigin {
    let user_agent = header_text(headers, header::USER_AGENT);
    let referer = header_text(headers, header::REFERER);
    let Some(conn) = conn else {
        return RequestOrigin {
            secure_transport: false,
            source_ip: None,
            user_agent,
            referer,
        };
    };
    let peer = canonical(conn.peer.ip());
    let mut source_ip = peer;
    let mut secure_transport = conn.tls;
    if trusted.contains(peer) {
        // Every X-Forwarded-For header line, in order, as one list; walked from the right.
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            match parse_forwarded_ip(hop) {
                Some(ip) => {
                    source_ip = canonical(ip);
                    if !trusted.contains(source_ip) {
                        break;
                    }
                }
                // Garbage ends the walk at the last address a trusted hop vouched for.
                None => break,
            }
        }
        let proto = headers
            .get_all(X_FORWARDED_PROTO)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(str::trim);
        if let Some(proto) = proto {
            secure_transport = conn.tls || proto.eq_ignore_ascii_case("https");
        }
    }
    RequestOrigin {
        secure_transport,
        source_ip: Some(source_ip),
        user_agent,
        referer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn conn(peer: &str, tls: bool) -> ConnInfo {
        ConnInfo {
            peer: peer.parse().unwrap(),
            tls,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn untrusted_peer_headers_are_ignored() {
        let none = TrustedProxies::default();
        let h = headers(&[
            ("x-forwarded-for", "10.1.2.3"),
            ("x-forwarded-proto", "https"),
        ]);
        let o = request_origin(Some(&conn("127.0.0.1:5000", false)), &h, &none);
        assert_eq!(o.source_ip, ip("127.0.0.1"));
        assert!(!o.secure_transport);
        // A trusted list that does not hold the peer is no different.
        let other = TrustedProxies::parse(&["192.0.2.0/24".into()]).unwrap();
        let o = request_origin(Some(&conn("127.0.0.1:5000", false)), &h, &other);
        assert_eq!(o.source_ip, ip("127.0.0.1"));
        assert!(!o.secure_transport);
    }

    #[test]
    fn trusted_proxy_forwards_the_client() {
        let t = TrustedProxies::parse(&["127.0.0.1/32".into()]).unwrap();
        let h = headers(&[
            ("x-forwarded-for", "10.1.2.3"),
            ("x-forwarded-proto", "https"),
            ("user-agent", "Boto3/1"),
        ]);
        let o = request_origin(Some(&conn("127.0.0.1:5000", false)), &h, &t);
        assert_eq!(o.source_ip, ip("10.1.2.3"));
        assert!(o.secure_transport);
        assert_eq!(o.user_agent.as_deref(), Some("Boto3/1"));
        assert_eq!(o.referer, None);
    }

    #[test]
    fn forwarded_for_is_walked_from_the_right() {
        let t = TrustedProxies::parse(&["127.0.0.1".into(), "192.168.0.0/16".into()]).unwrap();
        // The client wrote 10.9.9.9 itself; the proxy appended the real peer it saw.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 203.0.113.7")]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("203.0.113.7"));
        // Two trusted hops, then the client.
        let h = headers(&[
            ("x-forwarded-for", "10.9.9.9, 203.0.113.7"),
            ("x-forwarded-for", "192.168.1.1"),
        ]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("203.0.113.7"));
        // Every hop trusted: the leftmost.
        let h = headers(&[("x-forwarded-for", "192.168.1.2,192.168.1.1")]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("192.168.1.2"));
        // Garbage stops at the last vouched-for address.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, bogus, 192.168.1.1")]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("192.168.1.1"));
        // Ports and brackets.
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443")]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("2001:db8::1"));
        let h = headers(&[("x-forwarded-for", "203.0.113.7:5555")]);
        let o = request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t);
        assert_eq!(o.source_ip, ip("203.0.113.7"));
    }

    #[test]
    fn forwarded_proto_is_the_nearest_proxys() {
        let t = TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
        let h = headers(&[("x-forwarded-proto", "https, http")]);
        assert!(!request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t).secure_transport);
        let h = headers(&[("x-forwarded-proto", "http, HTTPS")]);
        assert!(request_origin(Some(&conn("127.0.0.1:1", false)), &h, &t).secure_transport);
        // TLS to iamd itself is secure whatever a proxy says.
        let h = headers(&[("x-forwarded-proto", "http")]);
        assert!(request_origin(Some(&conn("127.0.0.1:1", true)), &h, &t).secure_transport);
    }

    #[test]
    fn mapped_ipv4_and_no_connection() {
        let t = TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap();
        let o = request_origin(
            Some(&conn("[::ffff:127.0.0.1]:1", false)),
            &headers(&[("x-forwarded-for", "::ffff:10.0.0.1")]),
            &t,
        );
        assert_eq!(o.source_ip, ip("10.0.0.1"));
        let o = request_origin(None, &headers(&[("referer", "https://x/")]), &t);
        assert_eq!(o.source_ip, None);
        assert_eq!(o.referer.as_deref(), Some("https://x/"));
        assert!(TrustedProxies::parse(&["nope".into()]).is_err());
        assert!(
            TrustedProxies::parse(&["10.0.0.0/8, 192.168.0.1".into()])
                .unwrap()
                .contains(ip("192.168.0.1").unwrap())
        );
    }
}
