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
    calendars (id) {
        id -> Text,
        spec -> Text,
        version -> Integer,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}
