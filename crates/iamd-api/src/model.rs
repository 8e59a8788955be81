//! Static service-model tables (generated from botocore) and the `Service` enum.

use crate::generated;

/// Index of a shape in its service's `SHAPES` table.
pub type ShapeId = u16;

/// The services iamd speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Iam,
    Sts,
    SecretsManager,
    CloudTrail,
}

/// Wire protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsQuery: form-encoded request, XML response.
    Query,
    /// awsJson1.1: JSON request with `X-Amz-Target`, JSON response.
    Json11,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Iam,
        Service::Sts,
        Service::SecretsManager,
        Service::CloudTrail,
    ];

    /// From the SigV4 credential-scope service name.
    pub fn from_signing_name(name: &str) -> Option<Service> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            "secretsmanager" => Some(Service::SecretsManager),
            "cloudtrail" => Some(Service::CloudTrail),
            _ => None,
        }
    }

    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::SecretsManager => "secretsmanager",
            Service::CloudTrail => "cloudtrail",
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Service::Iam | Service::Sts => Protocol::Query,
            Service::SecretsManager | Service::CloudTrail => Protocol::Json11,
        }
    }

    /// The `Version` a query request must carry (or the JSON service's model version).
    pub fn api_version(self) -> &'static str {
        match self {
            Service::Iam => generated::iam::API_VERSION,
            Service::Sts => generated::sts::API_VERSION,
            Service::SecretsManager => generated::secretsmanager::API_VERSION,
            Service::CloudTrail => generated::cloudtrail::API_VERSION,
        }
    }

    /// XML namespace of query responses (`None` for JSON services).
    pub fn xml_namespace(self) -> Option<&'static str> {
        match self {
            Service::Iam => Some("https://iam.amazonaws.com/doc/2010-05-08/"),
            Service::Sts => Some("https://sts.amazonaws.com/doc/2011-06-15/"),
            Service::SecretsManager | Service::CloudTrail => None,
        }
    }

    /// `X-Amz-Target` prefix of JSON services (`None` for query services).
    pub fn json_target_prefix(self) -> Option<&'static str> {
        match self {
            Service::SecretsManager => Some("secretsmanager"),
            Service::CloudTrail => Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"),
            _ => None,
        }
    }

    /// Content type of successful and error responses.
    pub fn response_content_type(self) -> &'static str {
        match self.protocol() {
            Protocol::Query => "text/xml",
            Protocol::Json11 => "application/x-amz-json-1.1",
        }
    }

    /// All operations, sorted by name.
    pub fn operations(self) -> &'static [Operation] {
        match self {
            Service::Iam => generated::iam::OPERATIONS,
            Service::Sts => generated::sts::OPERATIONS,
            Service::SecretsManager => generated::secretsmanager::OPERATIONS,
            Service::CloudTrail => generated::cloudtrail::OPERATIONS,
        }
    }

    /// All shapes, sorted by name; `ShapeId` indexes this slice.
    pub fn shapes(self) -> &'static [Shape] {
        match self {
            Service::Iam => generated::iam::SHAPES,
            Service::Sts => generated::sts::SHAPES,
            Service::SecretsManager => generated::secretsmanager::SHAPES,
            Service::CloudTrail => generated::cloudtrail::SHAPES,
        }
    }

    /// All regex patterns referenced by `Shape::pattern`.
    pub fn patterns(self) -> &'static [Pattern] {
        match self {
            Service::Iam => generated::iam::PATTERNS,
            Service::Sts => generated::sts::PATTERNS,
            Service::SecretsManager => generated::secretsmanager::PATTERNS,
            Service::CloudTrail => generated::cloudtrail::PATTERNS,
        }
    }

    fn errors_by_code(self) -> &'static [(&'static str, u16)] {
        match self {
            Service::Iam => generated::iam::ERRORS_BY_CODE,
            Service::Sts => generated::sts::ERRORS_BY_CODE,
            Service::SecretsManager => generated::secretsmanager::ERRORS_BY_CODE,
            Service::CloudTrail => generated::cloudtrail::ERRORS_BY_CODE,
        }
    }

    /// Operation by exact name (binary search).
    pub fn operation(self, name: &str) -> Option<&'static Operation> {
        let ops = self.operations();
        ops.binary_search_by(|o| o.name.cmp(name))
            .ok()
            .and_then(|i| ops.get(i))
    }

    /// Shape by id. Ids come from the generated tables, so this only fails on a foreign id.
    pub fn shape(self, id: ShapeId) -> Option<&'static Shape> {
        self.shapes().get(usize::from(id))
    }

    /// Shape by name (binary search).
    pub fn shape_by_name(self, name: &str) -> Option<&'static Shape> {
        let shapes = self.shapes();
        shapes
            .binary_search_by(|s| s.name.cmp(name))
            .ok()
            .and_then(|i| shapes.get(i))
    }

    /// Modeled error by its wire code (e.g. `NoSuchEntity`, `ResourceNotFoundException`).
    pub fn error_info(self, code: &str) -> Option<&'static ErrorInfo> {
        let table = self.errors_by_code();
        let i = table.binary_search_by(|(c, _)| (*c).cmp(code)).ok()?;
        let (_, id) = table.get(i)?;
        self.shape(*id)?.error.as_ref()
    }

    /// The modeled HTTP status of an error code, if the model declares that error.
    pub fn modeled_status(self, code: &str) -> Option<u16> {
        self.error_info(code).map(|e| e.http_status)
    }
}

/// One operation of a service model.
#[derive(Debug)]
pub struct Operation {
    pub service: Service,
    pub name: &'static str,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// awsQuery: element wrapping the result (`<AssumeRoleResult>`).
    pub result_wrapper: Option<&'static str>,
    /// Declared error shapes.
    pub errors: &'static [ShapeId],
}

impl Operation {
    pub fn input_shape(&self) -> Option<&'static Shape> {
        self.input.and_then(|id| self.service.shape(id))
    }
    pub fn output_shape(&self) -> Option<&'static Shape> {
        self.output.and_then(|id| self.service.shape(id))
    }
    /// Wire codes of the declared errors.
    pub fn error_codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.errors
            .iter()
            .filter_map(|id| self.service.shape(*id))
            .filter_map(|s| s.error.as_ref().map(|e| e.code))
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        self.service == other.service && self.name == other.name
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
    Blob,
    Double,
    Float,
}

#[derive(Debug)]
pub struct Shape {
    pub name: &'static str,
    pub kind: ShapeKind,
    /// Structure members, in model order.
    pub members: &'static [Member],
    /// List member shape, or map key shape.
    pub member: Option<ShapeId>,
    /// Map value shape.
    pub value: Option<ShapeId>,
    pub member_location_name: Option<&'static str>,
    pub key_location_name: Option<&'static str>,
    pub value_location_name: Option<&'static str>,
    pub flattened: bool,
    /// Length (strings, blobs, lists, maps) or value (numbers) bounds.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Index into the service's `patterns()`.
    pub pattern: Option<u16>,
    pub enum_values: &'static [&'static str],
    pub sensitive: bool,
    pub union: bool,
    pub error: Option<ErrorInfo>,
}

impl Shape {
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub target: ShapeId,
    pub required: bool,
    pub location_name: Option<&'static str>,
    pub xml_namespace: Option<&'static str>,
    pub flattened: bool,
    pub sensitive: bool,
    pub idempotency_token: bool,
}

impl Member {
    /// Name on the wire (query key / XML element): `locationName` or the member name.
    pub fn wire_name(&self) -> &'static str {
        self.location_name.unwrap_or(self.name)
    }
}

/// Modeled error: `error.code`, `error.httpStatusCode`, `error.senderFault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub http_status: u16,
    pub sender_fault: bool,
}

/// A model pattern: the Java text AWS prints in messages and its Rust translation.
#[derive(Debug)]
pub struct Pattern {
    pub java: &'static str,
    pub rust: Option<&'static str>,
}

pub const DEFAULT_MEMBER: Member = Member {
    name: "",
    target: 0,
    required: false,
    location_name: None,
    xml_namespace: None,
    flattened: false,
    sensitive: false,
    idempotency_token: false,
};

pub const DEFAULT_SHAPE: Shape = Shape {
    name: "",
    kind: ShapeKind::String,
    members: &[],
    member: None,
    value: None,
    member_location_name: None,
    key_location_name: None,
    value_location_name: None,
    flattened: false,
    min: None,
    max: None,
    pattern: None,
    enum_values: &[],
    sensitive: false,
    union: false,
    error: None,
};

/// What CloudTrail prints in place of a sensitive request parameter.
pub const REDACTED: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

impl Operation {
    /// A copy of a decoded input with every member the model marks `sensitive` (secret values,
    /// passwords, SAML assertions, tokens…) replaced by [`REDACTED`] — safe to log or audit.
    pub fn redact_input(&self, input: &crate::value::Value) -> crate::value::Value {
        match self.input_shape() {
            Some(shape) => redact(self.service, shape, input),
            None => input.clone(),
        }
    }

    /// Same for an output value (e.g. `SecretAccessKey`, `SecretString`).
    pub fn redact_output(&self, output: &crate::value::Value) -> crate::value::Value {
        match self.output_shape() {
            Some(shape) => redact(self.service, shape, output),
            None => output.clone(),
        }
    }
}

fn redact(service: Service, shape: &Shape, value: &crate::value::Value) -> crate::value::Value {
    use crate::value::Value;
    if shape.sensitive {
        return Value::String(REDACTED.to_owned());
    }
    match (shape.kind, value) {
        (ShapeKind::Structure, Value::Structure(fields)) => Value::Structure(
            fields
                .iter()
                .map(|(name, v)| {
                    let member = shape.member(name);
                    let target = member.and_then(|m| service.shape(m.target));
                    let redacted = match (member, target) {
                        (Some(m), _) if m.sensitive => Value::String(REDACTED.to_owned()),
                        (_, Some(t)) => redact(service, t, v),
                        _ => v.clone(),
                    };
                    (*name, redacted)
                })
                .collect(),
        ),
        (ShapeKind::List, Value::List(items)) => {
            match shape.member.and_then(|id| service.shape(id)) {
                Some(elem) => Value::List(items.iter().map(|i| redact(service, elem, i)).collect()),
                None => value.clone(),
            }
        }
        (ShapeKind::Map, Value::Map(entries)) => match shape.value.and_then(|id| service.shape(id))
        {
            Some(vs) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), redact(service, vs, v)))
                    .collect(),
            ),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}
