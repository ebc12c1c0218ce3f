use maud::{Markup, html};

use crate::web::layout::public_page;
use crate::web::text::Bi;

const TITLE: Bi = Bi(
    "政务公开社会评议",
    "Public appraisal of government information disclosure",
);
const INTRO: Bi = Bi(
    "请通过各单位提供的评价链接、微信分享链接或服务大厅的二维码，对其政务公开工作进行评价。",
    "Rate a department's disclosure service through the link, WeChat share or QR code it gives you.",
);
const PRIVACY: Bi = Bi(
    "评价匿名进行，系统不保存您的IP地址。",
    "Ratings are anonymous; your IP address is not stored.",
);
const RESULTS: Bi = Bi("考核结果公示", "Published results");
const STAFF: Bi = Bi("工作人员登录", "Staff sign-in");

pub async fn home() -> Markup {
    public_page(
        &TITLE.plain(),
        html! {
            div.card {
                h1 { (TITLE) }
                p { (INTRO) }
                p.muted { (PRIVACY) }
            }
            p { a href="/results" { (RESULTS) } }
            p { a href="/admin/login" { (STAFF) } }
        },
    )
}
