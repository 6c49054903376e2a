//! The one schema both backends share: only SQL types diesel's
//! `MultiConnection` supports on both (text ids, JSON as text, naive UTC
//! timestamps truncated to microseconds).

diesel::table! {
    agencies (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        active -> Bool,
        successor_code -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        merged_at -> Nullable<Timestamp>,
        notify_email -> Nullable<Text>,
    }
}

diesel::table! {
    procedures (code) {
        code -> Text,
        agency_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    procedure_versions (id) {
        id -> Text,
        procedure_code -> Text,
        version -> Integer,
        status -> Text,
        effective_from -> Nullable<Date>,
        effective_to -> Nullable<Date>,
        name -> Text,
        search_text -> Text,
        sector_code -> Text,
        level -> Text,
        service_level -> Text,
        agencies_index -> Text,
        content -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    write_lock (id) {
        id -> Integer,
        n -> BigInt,
    }
}

diesel::joinable!(procedure_versions -> procedures (procedure_code));
diesel::allow_tables_to_appear_in_same_query!(agencies, procedures, procedure_versions);

diesel::table! {
    cache_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    calendars (id) {
        id -> Text,
        spec -> Text,
        version -> Integer,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    dossiers (code) {
        code -> Text,
        external_code -> Nullable<Text>,
        channel -> Text,
        status -> Text,
        procedure_code -> Text,
        procedure_version -> Integer,
        sector_code -> Text,
        receiving_agency -> Text,
        handling_agency -> Text,
        applicant_kind -> Text,
        applicant_id -> Text,
        applicant_name -> Text,
        owner_sub -> Nullable<Text>,
        summary -> Text,
        calendar_id -> Text,
        submitted_at -> Timestamp,
        received_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        promised_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        returned_at -> Nullable<Timestamp>,
        paused_since -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        resolved_timeliness -> Nullable<Text>,
        version -> Integer,
        data -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        level -> Text,
        closed_at -> Nullable<Timestamp>,
        counted -> Text,
        reply_by -> Nullable<Timestamp>,
        last_resumed_at -> Nullable<Timestamp>,
        overdue_from -> Nullable<Timestamp>,
        overdue_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    dossier_counters (agency_code, day) {
        agency_code -> Text,
        day -> Text,
        last -> Integer,
    }
}

diesel::table! {
    dossier_history (id) {
        id -> Text,
        dossier_code -> Text,
        seq -> Integer,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Text,
        actor_role -> Text,
        actor_name -> Text,
        actor_agency -> Nullable<Text>,
        at -> Timestamp,
        note -> Nullable<Text>,
        step_deadline -> Nullable<Timestamp>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    document_contents (sha256) {
        sha256 -> Text,
        size -> BigInt,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_documents (id) {
        id -> Text,
        dossier_code -> Text,
        kind -> Text,
        component_code -> Nullable<Text>,
        name -> Text,
        media_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        digitised -> Bool,
        reused -> Bool,
        uploaded_at -> Timestamp,
        uploaded_by -> Text,
        source -> Nullable<Text>,
    }
}

diesel::table! {
    registry_lookups (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        actor_agency -> Nullable<Text>,
        registry -> Text,
        subject -> Text,
        dossier_code -> Nullable<Text>,
        purpose -> Text,
        outcome -> Text,
        hash -> Text,
    }
}

diesel::table! {
    applicant_checks (dossier_code) {
        dossier_code -> Text,
        registry -> Text,
        state -> Text,
        differences -> Nullable<Text>,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        checked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (owner, key) {
        owner -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_counter (id) {
        id -> Integer,
        last -> BigInt,
    }
}

diesel::table! {
    changes (id) {
        id -> BigInt,
        seq -> Nullable<BigInt>,
        dossier_code -> Text,
        action -> Text,
        status -> Text,
        agency_code -> Text,
        payload -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (idempotency_key) {
        idempotency_key -> Text,
        change_id -> BigInt,
        dossier_code -> Text,
        event -> Text,
        channel -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        owner -> Text,
        url -> Text,
        secret -> Text,
        statuses -> Text,
        agencies -> Text,
        active -> Bool,
        cursor_seq -> BigInt,
        created_at -> Timestamp,
        filter_error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        seq -> BigInt,
        attempts -> Integer,
        delivered_at -> Nullable<Timestamp>,
        next_attempt_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        change_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        dossier_code -> Text,
        reference -> Text,
        method -> Text,
        status -> Text,
        amount_vnd -> BigInt,
        description -> Text,
        transaction_id -> Nullable<Text>,
        bank_code -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_queried_at -> Nullable<Timestamp>,
        fee_lines -> Text,
        relief_vnd -> BigInt,
        amount_reason -> Nullable<Text>,
    }
}

diesel::table! {
    payment_attempts (id) {
        id -> Text,
        payment_id -> Text,
        dossier_code -> Text,
        reference -> Text,
        amount_vnd -> BigInt,
        status -> Text,
        transaction_id -> Nullable<Text>,
        bank_code -> Nullable<Text>,
        refund_due -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_queried_at -> Nullable<Timestamp>,
        refunded_at -> Nullable<Timestamp>,
        refunded_by -> Nullable<Text>,
    }
}

diesel::table! {
    fee_reliefs (id) {
        id -> Text,
        dossier_code -> Text,
        kind -> Text,
        amount_vnd -> BigInt,
        legal_basis -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_callbacks (id) {
        id -> Text,
        reference -> Nullable<Text>,
        outcome -> Text,
        body -> Text,
        received_at -> Timestamp,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhooks);

diesel::table! {
    ratings (dossier_code) {
        dossier_code -> Text,
        criteria -> Text,
        total -> Integer,
        overall -> Text,
        comment -> Nullable<Text>,
        rated_by -> Text,
        rated_at -> Timestamp,
    }
}

diesel::joinable!(ratings -> dossiers (dossier_code));

diesel::table! {
    feedback (id) {
        id -> Text,
        owner_sub -> Text,
        title -> Text,
        content -> Text,
        dossier_code -> Nullable<Text>,
        agency_code -> Text,
        status -> Text,
        filed_at -> Timestamp,
        refuse_by -> Timestamp,
        ask_info_by -> Timestamp,
        answer_by -> Timestamp,
        info_question -> Nullable<Text>,
        info_reply -> Nullable<Text>,
        answer -> Nullable<Text>,
        refusal_reason -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        responded_at -> Nullable<Timestamp>,
        responded_on_time -> Nullable<Bool>,
        log -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    figure_days (day, receiving_agency, procedure_code, sector_code, channel, level) {
        day -> Text,
        receiving_agency -> Text,
        procedure_code -> Text,
        sector_code -> Text,
        channel -> Text,
        level -> Text,
        received -> Integer,
        received_online -> Integer,
        paid -> Integer,
        paid_cashless -> Integer,
        exempt -> Integer,
        digitised -> Integer,
        resolved_early -> Integer,
        resolved_on_time -> Integer,
        resolved_late -> Integer,
        withdrawn -> Integer,
        stopped -> Integer,
        refused -> Integer,
        closed_after_reception -> Integer,
        rated -> Integer,
        satisfied -> Integer,
        paid_online -> Integer,
        reused -> Integer,
        became_overdue -> Integer,
        left_overdue -> Integer,
    }
}

diesel::table! {
    figure_rebuild (id) {
        id -> Integer,
        needed -> Bool,
    }
}
diesel::allow_tables_to_appear_in_same_query!(
    dossiers,
    payments,
    dossier_documents,
    changes,
    ratings,
    payment_attempts,
    fee_reliefs
);
