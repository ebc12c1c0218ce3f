//! Table definitions shared by both backends. Only types that SQLite and PostgreSQL both map
//! (BigInt, Integer, Double, Text, Bool, Timestamp, Binary) appear here; enums and JSON are Text.
//! Keep in step with `migrations/{sqlite,postgres}`; a test compares them with the live database.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        name_en -> Text,
        sort_order -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    departments (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        name_en -> Text,
        category_id -> BigInt,
        contact_emails -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        department_id -> Nullable<BigInt>,
        active -> Bool,
        must_change_password -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scopes -> Text,
        department_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    indicators (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        name_en -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    questionnaires (id) {
        id -> BigInt,
        code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    questionnaire_versions (id) {
        id -> BigInt,
        questionnaire_id -> BigInt,
        version -> Integer,
        title -> Text,
        title_en -> Text,
        description -> Text,
        description_en -> Text,
        status -> Text,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    questions (id) {
        id -> BigInt,
        questionnaire_version_id -> BigInt,
        position -> Integer,
        kind -> Text,
        prompt -> Text,
        prompt_en -> Text,
        required -> Bool,
        indicator_id -> Nullable<BigInt>,
        options -> Text,
        max_length -> Nullable<Integer>,
    }
}

diesel::table! {
    links (id) {
        id -> BigInt,
        code -> Text,
        questionnaire_version_id -> BigInt,
        department_id -> BigInt,
        channel -> Text,
        label -> Text,
        expires_at -> Nullable<Timestamp>,
        max_responses -> Nullable<Integer>,
        response_count -> Integer,
        active -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        token_hash -> Text,
        questionnaire_version_id -> BigInt,
        department_id -> BigInt,
        case_ref -> Text,
        email -> Nullable<Text>,
        respondent_group -> Text,
        expires_at -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    responses (id) {
        id -> BigInt,
        receipt_code -> Text,
        submission_key -> Nullable<Text>,
        questionnaire_version_id -> BigInt,
        department_id -> BigInt,
        channel -> Text,
        respondent_group -> Text,
        link_id -> Nullable<BigInt>,
        invitation_id -> Nullable<BigInt>,
        operator_id -> Nullable<BigInt>,
        api_key_id -> Nullable<BigInt>,
        submitted_at -> Timestamp,
        duration_ms -> Nullable<Integer>,
        client_hash -> Nullable<Text>,
        network_hash -> Nullable<Text>,
        lang -> Text,
        status -> Text,
        flags -> Text,
        excluded -> Bool,
        contact -> Nullable<Text>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
    }
}

diesel::table! {
    answers (id) {
        id -> BigInt,
        response_id -> BigInt,
        question_id -> BigInt,
        level -> Nullable<Integer>,
        choices -> Nullable<Text>,
        text_value -> Nullable<Text>,
    }
}

diesel::table! {
    rating_tallies (id) {
        id -> BigInt,
        department_id -> BigInt,
        indicator_id -> BigInt,
        day -> Text,
        channel -> Text,
        respondent_group -> Text,
        level -> Integer,
        n -> Integer,
    }
}

diesel::table! {
    response_tallies (id) {
        id -> BigInt,
        department_id -> BigInt,
        day -> Text,
        channel -> Text,
        respondent_group -> Text,
        n -> Integer,
    }
}

diesel::table! {
    schemes (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheme_versions (id) {
        id -> BigInt,
        scheme_id -> BigInt,
        version -> Integer,
        basis -> Text,
        satisfied_min_level -> Integer,
        level_scores -> Text,
        min_sample -> Integer,
        shrinkage_k -> Text,
        grade_bands -> Text,
        excellent_cap -> Double,
        group_weights -> Text,
        in_use -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        case_indicator_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    scheme_indicators (id) {
        id -> BigInt,
        scheme_version_id -> BigInt,
        indicator_id -> BigInt,
        weight -> Double,
        position -> Integer,
    }
}

diesel::table! {
    periods (id) {
        id -> BigInt,
        kind -> Text,
        label -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        time_zone -> Text,
        scheme_version_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    result_snapshots (id) {
        id -> BigInt,
        period_id -> BigInt,
        version -> Integer,
        scheme_version_id -> BigInt,
        counts -> Text,
        results -> Text,
        checksum -> Text,
        note -> Text,
        published_by -> Nullable<BigInt>,
        published_at -> Timestamp,
        public -> Bool,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        response_id -> BigInt,
        department_id -> BigInt,
        status -> Text,
        opened_at -> Timestamp,
        due_at -> Timestamp,
        reply -> Nullable<Text>,
        replied_at -> Nullable<Timestamp>,
        replied_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<BigInt>,
        followup_level -> Nullable<Integer>,
        followup_at -> Nullable<Timestamp>,
        last_reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        kind -> Text,
        note -> Text,
        visible_to_resident -> Bool,
    }
}

diesel::table! {
    appeals (id) {
        id -> BigInt,
        response_id -> BigInt,
        department_id -> BigInt,
        ground -> Text,
        statement -> Text,
        evidence -> Text,
        status -> Text,
        submitted_by -> Nullable<BigInt>,
        submitted_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Text,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        dedupe_key -> Nullable<Text>,
        to_addrs -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_attachments (id) {
        id -> BigInt,
        email_id -> BigInt,
        filename -> Text,
        content_type -> Text,
        content -> Binary,
    }
}

diesel::table! {
    job_runs (id) {
        id -> BigInt,
        job -> Text,
        run_key -> Text,
        status -> Text,
        node -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        detail -> Text,
    }
}

diesel::table! {
    stored_exports (id) {
        id -> BigInt,
        kind -> Text,
        period_id -> Nullable<BigInt>,
        snapshot_id -> Nullable<BigInt>,
        job_run_id -> Nullable<BigInt>,
        filename -> Text,
        content_type -> Text,
        content -> Binary,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        at -> Timestamp,
        username -> Text,
        client_hash -> Text,
        succeeded -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(departments -> categories (category_id));
diesel::joinable!(users -> departments (department_id));
diesel::joinable!(questionnaire_versions -> questionnaires (questionnaire_id));
diesel::joinable!(questions -> questionnaire_versions (questionnaire_version_id));
diesel::joinable!(links -> departments (department_id));
diesel::joinable!(invitations -> departments (department_id));
diesel::joinable!(invitations -> questionnaire_versions (questionnaire_version_id));
diesel::joinable!(links -> questionnaire_versions (questionnaire_version_id));
diesel::joinable!(responses -> departments (department_id));
diesel::joinable!(answers -> responses (response_id));
diesel::joinable!(answers -> questions (question_id));
diesel::joinable!(scheme_versions -> schemes (scheme_id));
diesel::joinable!(scheme_indicators -> scheme_versions (scheme_version_id));
diesel::joinable!(result_snapshots -> periods (period_id));
diesel::joinable!(cases -> responses (response_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(appeals -> responses (response_id));
diesel::joinable!(email_attachments -> email_outbox (email_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    categories,
    departments,
    users,
    api_keys,
    indicators,
    questionnaires,
    questionnaire_versions,
    questions,
    links,
    invitations,
    responses,
    answers,
    rating_tallies,
    response_tallies,
    schemes,
    scheme_versions,
    scheme_indicators,
    periods,
    result_snapshots,
    cases,
    case_events,
    appeals,
    calendar_days,
    email_outbox,
    email_attachments,
    job_runs,
    stored_exports,
    audit_log,
    login_attempts,
    sessions,
);

// The full recount groups answers by columns of three tables.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    responses::department_id,
    responses::respondent_group,
    questions::indicator_id,
    answers::level,
);
