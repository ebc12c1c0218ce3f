//! The OpenAPI document of `/api/v1`, served at `/api/v1/openapi.json`. Every endpoint is one
//! row of [`ENDPOINTS`]; a test calls each documented path to prove it exists.

use actix_web::HttpResponse;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Required,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
        }
    }

    fn http(self) -> HttpMethod {
        match self {
            Method::Get => HttpMethod::Get,
            Method::Post => HttpMethod::Post,
        }
    }
}

/// One documented endpoint. Bodies are JSON unless `body` names another media type; the
/// shapes of bodies are described in docs/api.md.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub scope: &'static str,
    /// (name, in, required, description)
    pub params: &'static [(&'static str, ParameterIn, bool, &'static str)],
    /// Media type of the request body, if any.
    pub body: Option<&'static str>,
    /// (status, description, media type)
    pub responses: &'static [(&'static str, &'static str, &'static str)],
}

const JSON: &str = "application/json";
const PROBLEM: &str = "application/problem+json";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ERRORS: [(&str, &str, &str); 3] = [
    (
        "400",
        "请求有误 bad request: the detail says what to fix",
        PROBLEM,
    ),
    ("401", "需要有效的API密钥 a valid API key is required", PROBLEM),
    ("403", "API密钥无此权限 the key lacks the scope", PROBLEM),
];
const PERIOD: (&str, ParameterIn, bool, &str) = (
    "period",
    ParameterIn::Path,
    true,
    "2026-10 (month), 2026-Q3, 2026, or 2026-01-05..2026-02-20",
);

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::Get,
        path: "/api/v1/results/{period}",
        summary: "实时结果 Live results of a period",
        scope: "results:read",
        params: &[
            PERIOD,
            (
                "scheme",
                ParameterIn::Query,
                false,
                "scheme code; default: the only scheme",
            ),
        ],
        body: None,
        responses: &[("200", "results by category and department", JSON)],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/results/{period}/publish",
        summary: "发布结果 Publish (freeze) a period's results as a new version",
        scope: "results:publish",
        params: &[PERIOD],
        body: Some(JSON),
        responses: &[("201", "the new version's metadata and checksum", JSON)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/results/{period}/versions",
        summary: "发布历史 Published versions of a period",
        scope: "results:read",
        params: &[PERIOD],
        body: None,
        responses: &[("200", "versions, oldest first", JSON)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/results/{period}/versions/{version}",
        summary: "已发布版本 A published version as frozen",
        scope: "results:read",
        params: &[PERIOD, ("version", ParameterIn::Path, true, "version number")],
        body: None,
        responses: &[
            ("200", "metadata and results", JSON),
            ("404", "not published", PROBLEM),
        ],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/results/{period}/versions/{version}/public",
        summary: "公示 Show a published version to the public, or withdraw it",
        scope: "results:publish",
        params: &[PERIOD, ("version", ParameterIn::Path, true, "version number")],
        body: Some(JSON),
        responses: &[
            ("200", "the version's metadata with `public`", JSON),
            ("404", "not published", PROBLEM),
        ],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/results/{period}/versions/{a}/compare/{b}",
        summary: "版本比较 Departments whose figures differ between two versions",
        scope: "results:read",
        params: &[
            PERIOD,
            ("a", ParameterIn::Path, true, "version"),
            ("b", ParameterIn::Path, true, "version"),
        ],
        body: None,
        responses: &[("200", "changes", JSON)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/exports/sheet/{period}",
        summary: "评分表 The scoring sheet (XLSX or CSV)",
        scope: "exports:read",
        params: &[
            PERIOD,
            ("format", ParameterIn::Query, false, "xlsx (default) or csv"),
            (
                "version",
                ParameterIn::Query,
                false,
                "a version number or live; default: newest published, else live",
            ),
        ],
        body: None,
        responses: &[("200", "the file", XLSX)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/exports/responses",
        summary: "评价明细 Raw responses, streamed (CSV or XLSX)",
        scope: "responses:read",
        params: &[
            ("period", ParameterIn::Query, true, "the period"),
            ("format", ParameterIn::Query, false, "csv (default) or xlsx"),
            ("department", ParameterIn::Query, false, "department code"),
            ("channel", ParameterIn::Query, false, "channel"),
            ("status", ParameterIn::Query, false, "valid, suspect or rejected"),
            (
                "contacts",
                ParameterIn::Query,
                false,
                "true adds contacts (scope responses:contacts)",
            ),
        ],
        body: None,
        responses: &[("200", "the file", "text/csv")],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/annual/{year}",
        summary: "年度数据 Figures for the yearly disclosure report",
        scope: "results:read",
        params: &[("year", ParameterIn::Path, true, "four digits")],
        body: None,
        responses: &[("200", "figures and a paragraph", JSON)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/jobs",
        summary: "定时任务 Scheduled runs and their outcomes",
        scope: "exports:read",
        params: &[],
        body: None,
        responses: &[("200", "the newest runs", JSON)],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/questionnaires/{code}",
        summary: "问卷 The newest published version of a questionnaire",
        scope: "links:read",
        params: &[("code", ParameterIn::Path, true, "questionnaire code")],
        body: None,
        responses: &[
            ("200", "questions", JSON),
            ("404", "no such questionnaire", PROBLEM),
        ],
    },
    Endpoint {
        method: Method::Get,
        path: "/api/v1/links",
        summary: "评价链接 Survey links",
        scope: "links:read",
        params: &[("department", ParameterIn::Query, false, "department code")],
        body: None,
        responses: &[("200", "links with QR addresses", JSON)],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/links",
        summary: "新建链接 Create a survey link",
        scope: "links:write",
        params: &[],
        body: Some(JSON),
        responses: &[("201", "the link, its address and QR codes", JSON)],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/invitations",
        summary: "邀请评价 Single-use invitations from a CSV, emailed",
        scope: "invitations:write",
        params: &[
            ("questionnaire", ParameterIn::Query, true, "questionnaire code"),
            ("days", ParameterIn::Query, false, "days valid (default 30)"),
        ],
        body: Some("text/csv"),
        responses: &[("201", "how many were created and emailed", JSON)],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/responses",
        summary: "提交评价 An evaluation by phone, rating pad or another system",
        scope: "responses:write",
        params: &[(
            "Idempotency-Key",
            ParameterIn::Header,
            false,
            "1–200 visible ASCII characters; the same key from the same API key stores one response (or the idempotency_key field)",
        )],
        body: Some(JSON),
        responses: &[
            ("201", "the receipt code", JSON),
            (
                "200",
                "the first receipt: this idempotency key was stored before, nothing new is stored",
                JSON,
            ),
            ("422", "answers that need attention, one per question", PROBLEM),
            (
                "503",
                "busy or the database unreachable: nothing stored, send it again",
                PROBLEM,
            ),
        ],
    },
    Endpoint {
        method: Method::Post,
        path: "/api/v1/responses/batch",
        summary: "批量提交评价 Up to 1,000 evaluations in one request, each stored or refused on its own",
        scope: "responses:write",
        params: &[],
        body: Some(JSON),
        responses: &[
            (
                "200",
                "one result per item in request order: status 201 and the receipt, 200 and the first receipt (idempotency key stored before), or status and problems (field, message); every stored item is committed",
                JSON,
            ),
            (
                "413",
                "more than 1,000 items, or a body over 8 MiB: nothing stored",
                PROBLEM,
            ),
            (
                "503",
                "busy or the database unreachable: nothing stored, send it again",
                PROBLEM,
            ),
        ],
    },
];

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for e in ENDPOINTS {
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .description(Some(format!("Scope 权限: `{}`", e.scope)))
            .security(SecurityRequirement::new("api_key", [e.scope]));
        for (name, location, required, description) in e.params {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(location.clone())
                    .required(if *required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(*description)),
            );
        }
        if let Some(media) = e.body {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(media, Content::default())
                    .build(),
            ));
        }
        for (status, description, media) in e.responses.iter().chain(ERRORS.iter()) {
            op = op.response(
                *status,
                ResponseBuilder::new()
                    .description(*description)
                    .content(*media, Content::default()),
            );
        }
        paths = paths.path(e.path, PathItem::new(e.method.http(), op));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("pingyi 评议 API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("政务公开社会评议 public appraisal of government information disclosure. See docs/api.md.")),
        )
        .paths(paths)
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme("api_key", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()))
                .build(),
        ))
        .build()
}

/// GET /api/v1/openapi.json (public: it describes, it does not grant).
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document().to_json().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_endpoint_with_its_scope() {
        let json: serde_json::Value = serde_json::from_str(&document().to_pretty_json().unwrap()).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3."));
        for e in ENDPOINTS {
            let method = e.method.as_str();
            let op = &json["paths"][e.path][method];
            assert!(op.is_object(), "{method} {}", e.path);
            assert!(op["description"].as_str().unwrap().contains(e.scope));
        }
        assert_eq!(
            json["paths"]["/api/v1/links"].as_object().unwrap().len(),
            2,
            "GET and POST merged"
        );
    }
}
