//! Credential reports (GenerateCredentialReport, GetCredentialReport: no resource type, per the
//! Service Authorization Reference) and service last accessed (access advisor).

use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::access_advisor::Job;
use crate::iam::credential_report::Generated;
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::GenerateCredentialReport>::OP,
    &Entry::<IamDomain, o::GetCredentialReport>::OP,
    &Entry::<IamDomain, o::GenerateServiceLastAccessedDetails>::OP,
    &Entry::<IamDomain, o::GetServiceLastAccessedDetails>::OP,
    &Entry::<IamDomain, o::GetServiceLastAccessedDetailsWithEntities>::OP,
];

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html>:
/// `STARTED` with AWS's "No report exists. Starting a new report generation task" when a new
/// report is made (iamd makes it before answering), `COMPLETE` while the last one is younger
/// than four hours (the documented regeneration rule).
impl Op<IamDomain> for o::GenerateCredentialReport {
    type Target = ();
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GenerateCredentialReport", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let root_created = d.accounts.created_at(req.account())?.unwrap_or(req.now);
        Ok(
            match d
                .iam
                .generate_credential_report(req.account(), root_created, req.now)?
            {
                Generated::Started => api::GenerateCredentialReportResponse {
                    state: Some(api::ReportStateType::Started),
                    description: Some(
                        "No report exists. Starting a new report generation task".to_owned(),
                    ),
                },
                Generated::Complete => api::GenerateCredentialReportResponse {
                    state: Some(api::ReportStateType::Complete),
                    description: None,
                },
            },
        )
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html>: the CSV
/// (base64 on the wire, as every blob of the query protocol), `text/csv`, `GeneratedTime`;
/// `ReportNotPresent` (410) before any report, `ReportExpired` (410) after four hours.
impl Op<IamDomain> for o::GetCredentialReport {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetCredentialReport", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let r = d.iam.get_credential_report(req.account(), req.now)?;
        Ok(api::GetCredentialReportResponse {
            content: Some(iamd_api::Blob(r.content.into_bytes())),
            report_format: Some(api::ReportFormatType::TextCsv),
            generated_time: Some(super::at(r.generated_at)),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html>:
/// authorized on the ARN asked about (user, role, group or policy, per the Service
/// Authorization Reference); an ARN of no entity of the account is NoSuchEntity after that.
/// The job is computed before answering (see `access_advisor`).
impl Op<IamDomain> for o::GenerateServiceLastAccessedDetails {
    /// The canonical ARN of the entity named (`alice` names `Alice`), or the ARN as sent.
    type Target = String;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<String, Error> {
        Ok(d.iam
            .canonical_entity_arn(req.account(), &input.arn)?
            .unwrap_or_else(|| input.arn.clone()))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, arn: &String) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GenerateServiceLastAccessedDetails",
            Some(Resource::as_named(arn)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: String,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let action_level = matches!(
            input.granularity,
            Some(api::AccessAdvisorUsageGranularityType::ActionLevel)
        );
        let job_id = d.iam.generate_service_last_accessed(
            req.account(),
            &input.arn,
            &req.caller.arn(),
            action_level,
            req.now,
        )?;
        Ok(api::GenerateServiceLastAccessedDetailsResponse {
            job_id: Some(job_id),
        })
    }
}

fn granularity(job: &Job) -> api::AccessAdvisorUsageGranularityType {
    if job.action_level {
        api::AccessAdvisorUsageGranularityType::ActionLevel
    } else {
        api::AccessAdvisorUsageGranularityType::ServiceLevel
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html>:
/// the job's services, sorted by namespace; null fields for a service never used. Action-level
/// tracking (EC2, IAM, Lambda, S3 management actions on AWS) is not recorded: an
/// `ACTION_LEVEL` job lists no tracked actions. One page holds every service.
impl Op<IamDomain> for o::GetServiceLastAccessedDetails {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetServiceLastAccessedDetails", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let job =
            d.iam
                .service_last_accessed_job(req.account(), &input.job_id, &req.caller.arn())?;
        Ok(api::GetServiceLastAccessedDetailsResponse {
            job_status: api::JobStatusType::Completed,
            job_type: Some(granularity(&job)),
            job_creation_date: super::at(job.created),
            job_completion_date: super::at(job.completed),
            services_last_accessed: job
                .services
                .iter()
                .map(|s| api::ServiceLastAccessed {
                    service_name: s.name.clone(),
                    service_namespace: s.namespace.clone(),
                    last_authenticated: s.last.as_ref().map(|(at, _, _)| super::at(*at)),
                    last_authenticated_entity: s.last.as_ref().map(|(_, e, _)| e.clone()),
                    last_authenticated_region: s.last.as_ref().map(|(_, _, r)| r.clone()),
                    total_authenticated_entities: Some(s.total),
                    tracked_actions_last_accessed: job.action_level.then(Vec::new),
                })
                .collect(),
            is_truncated: Some(false),
            marker: None,
            error: None,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetailsWithEntities.html>:
/// the job's principals (users and roles) for one service namespace, with their last use.
impl Op<IamDomain> for o::GetServiceLastAccessedDetailsWithEntities {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetServiceLastAccessedDetailsWithEntities",
            None,
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let job =
            d.iam
                .service_last_accessed_job(req.account(), &input.job_id, &req.caller.arn())?;
        let entities = job
            .services
            .iter()
            .find(|s| s.namespace == input.service_namespace)
            .map(|s| s.entities.clone())
            .unwrap_or_default();
        Ok(api::GetServiceLastAccessedDetailsWithEntitiesResponse {
            job_status: api::JobStatusType::Completed,
            job_creation_date: super::at(job.created),
            job_completion_date: super::at(job.completed),
            entity_details_list: entities
                .into_iter()
                .map(|(e, at)| api::EntityDetails {
                    entity_info: api::EntityInfo {
                        arn: e.arn,
                        name: e.name,
                        r#type: if e.kind == "ROLE" {
                            api::PolicyOwnerEntityType::Role
                        } else {
                            api::PolicyOwnerEntityType::User
                        },
                        id: e.id,
                        path: Some(e.path),
                    },
                    last_authenticated: at.map(super::at),
                })
                .collect(),
            is_truncated: Some(false),
            marker: None,
            error: None,
        })
    }
}
