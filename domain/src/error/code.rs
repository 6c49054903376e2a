//! [`ErrorCode`]: every machine code the API can answer, in one closed list,
//! each with the HTTP status it decides and its messages in English and
//! Vietnamese.
//!
//! A code names either the problem as a whole (the `code` of a problem
//! document: `not_found`, `transition_not_allowed`) or one invalid field (the
//! `code` of an entry of a 422's `errors`: `required`, `out_of_range`). Both
//! are one enum: the domain's refusals travel from one place to the other (a
//! lone conflict is the problem, the same refusal among others is a field
//! entry; `agency_merged` is either), and one list gives one table of codes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A language the API answers problems in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Vietnamese (tiếng Việt).
    Vi,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The language tag (`Content-Language`).
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Vi => "vi",
        }
    }
}

/// `None`: the code names one invalid field, inside the `errors` of a 422
/// `validation_failed`; it is never the code of a problem itself.
const FIELD: Option<u16> = None;

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $status:expr, $en:literal, $vi:literal;)*) => {
        /// Every machine code of the API (see the module's documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table in `docs/ERRORS.md`.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The snake_case code as answered.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The HTTP status of a problem with this code; `None` for a
            /// code of one invalid field (answered in a 422's `errors`).
            pub const fn status(self) -> Option<u16> {
                match self {
                    $(Self::$variant => $status,)*
                }
            }

            /// What the code means, for a person, in `lang`.
            pub const fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Self::$variant, Lang::En) => $en, (Self::$variant, Lang::Vi) => $vi,)*
                }
            }
        }
    };
}

error_codes! {
    // ---- 400: a request that cannot be read.
    /// A 4xx without a code of its own (an extractor's refusal).
    BadRequest = "bad_request", Some(400), "The request is malformed", "Yêu cầu không hợp lệ";
    /// The body is not JSON.
    MalformedJson = "malformed_json", Some(400), "The body is not valid JSON", "Nội dung gửi lên không phải JSON hợp lệ";
    /// An OPTIONS request that is not a valid CORS preflight (no Origin, say).
    InvalidPreflight = "invalid_preflight", Some(400),
        "Not a valid CORS preflight", "Không phải yêu cầu kiểm tra trước (preflight) CORS hợp lệ";
    /// The body could not be read at all.
    MalformedBody = "malformed_body", Some(400), "The body cannot be read", "Không đọc được nội dung gửi lên";
    /// The query string does not parse.
    InvalidQuery = "invalid_query", Some(400), "The query string is invalid", "Chuỗi truy vấn không hợp lệ";
    /// A percent-encoded NUL in a path or a query.
    InvalidCharacters = "invalid_characters", Some(400),
        "A NUL character is not allowed in a path or a query",
        "Không được dùng ký tự NUL trong đường dẫn hoặc chuỗi truy vấn";
    /// An `Idempotency-Key` that is not 1–128 visible ASCII characters.
    InvalidIdempotencyKey = "invalid_idempotency_key", Some(400),
        "The Idempotency-Key header is invalid", "Khóa Idempotency-Key không hợp lệ";
    /// The payment platform's message does not verify.
    InvalidSignature = "invalid_signature", Some(400),
        "The message's signature does not verify", "Chữ ký của thông điệp không hợp lệ";
    // ---- 401: who is calling.
    /// No bearer token.
    MissingToken = "missing_token", Some(401), "A bearer token is required", "Cần đăng nhập: thiếu mã xác thực";
    /// A token that is malformed, forged or meant for someone else.
    InvalidToken = "invalid_token", Some(401), "The token is invalid", "Mã xác thực không hợp lệ";
    /// A token past its expiry.
    TokenExpired = "token_expired", Some(401), "The token has expired", "Mã xác thực đã hết hạn";
    /// A token not valid yet.
    TokenNotYetValid = "token_not_yet_valid", Some(401), "The token is not valid yet", "Mã xác thực chưa có hiệu lực";
    // ---- 403, 404, 405, 412, 413, 415.
    /// The caller's role lacks the right (named in `missing_right`).
    Forbidden = "forbidden", Some(403),
        "The caller's role lacks the right to do this", "Bạn không có quyền thực hiện thao tác này";
    /// A browser page of an origin not configured (DVC_CORS_ORIGINS).
    OriginNotAllowed = "origin_not_allowed", Some(403),
        "Pages of this origin may not call the API from a browser",
        "Trang web của nguồn này không được phép gọi API từ trình duyệt";
    /// A CORS preflight asking for a method the route does not take.
    CorsMethodNotAllowed = "cors_method_not_allowed", Some(403),
        "The route does not take the method the preflight asks for",
        "Đường dẫn này không nhận phương thức mà yêu cầu kiểm tra trước (preflight) đề nghị";
    /// A CORS preflight asking for a header the route does not read.
    CorsHeaderNotAllowed = "cors_header_not_allowed", Some(403),
        "The route does not read a header the preflight asks for",
        "Đường dẫn này không đọc một tiêu đề mà yêu cầu kiểm tra trước (preflight) đề nghị";
    /// No such resource, or one the caller may not see.
    NotFound = "not_found", Some(404), "Not found", "Không tìm thấy";
    /// A national database holds no such record.
    NotInRegistry = "not_in_registry", Some(404),
        "The national database holds no such record", "Cơ sở dữ liệu quốc gia không có thông tin này";
    /// The path exists, not with this method.
    MethodNotAllowed = "method_not_allowed", Some(405),
        "The method is not allowed on this resource", "Phương thức không được phép với tài nguyên này";
    /// `If-Match` names an outdated ETag.
    PreconditionFailed = "precondition_failed", Some(412),
        "The resource changed since it was read: read it again",
        "Dữ liệu đã thay đổi kể từ lần đọc trước: vui lòng tải lại";
    /// The body is larger than the server takes.
    PayloadTooLarge = "payload_too_large", Some(413), "The request body is too large", "Nội dung gửi lên quá lớn";
    /// A body that is not `application/json` where JSON is expected.
    UnsupportedMediaType = "unsupported_media_type", Some(415),
        "Unsupported media type", "Kiểu nội dung gửi lên không được hỗ trợ";
    // ---- 409: conflicts with the current state.
    /// A uniqueness rule of the database.
    AlreadyExists = "already_exists", Some(409),
        "A record with the same key already exists", "Đã có bản ghi với cùng khóa";
    /// Another transaction won; the same request may be sent again.
    ConcurrentChange = "concurrent_change", Some(409),
        "A concurrent change won: try again", "Dữ liệu vừa bị thay đổi đồng thời: vui lòng thử lại";
    /// An agency code that is taken.
    AgencyExists = "agency_exists", Some(409), "An agency with this code exists", "Đã có cơ quan với mã này";
    /// A procedure code that is taken.
    ProcedureExists = "procedure_exists", Some(409), "A procedure with this code exists", "Đã có thủ tục với mã này";
    /// A dossier rated once already.
    AlreadyRated = "already_rated", Some(409), "The dossier is rated already", "Hồ sơ đã được đánh giá";
    /// An agency's dossier numbers of the day are spent (four digits).
    DailyLimitReached = "daily_limit_reached", Some(409),
        "The agency has received its most dossiers for the day",
        "Cơ quan đã tiếp nhận số hồ sơ tối đa trong ngày";
    /// An agency merged already.
    AgencyAlreadyMerged = "agency_already_merged", Some(409),
        "The agency is merged already", "Cơ quan đã được sáp nhập trước đó";
    /// An agency that was merged into another (a problem, or one field).
    AgencyMerged = "agency_merged", Some(409),
        "The agency was merged into another", "Cơ quan đã được sáp nhập vào cơ quan khác";
    /// Feedback whose status does not take this response.
    FeedbackResponseNotAllowed = "feedback_response_not_allowed", Some(409),
        "The feedback cannot take this response in its status",
        "Phản ánh, kiến nghị ở trạng thái hiện tại không thể nhận thao tác này";
    /// A draft retired instead of deleted.
    NotPublished = "not_published", Some(409),
        "The procedure version is not published", "Phiên bản thủ tục chưa được công bố";
    /// A retirement postponed.
    ValidityExtension = "validity_extension", Some(409),
        "A retirement cannot be postponed", "Không thể lùi ngày hết hiệu lực đã định";
    /// Two versions in force at once.
    ValidityOverlap = "validity_overlap", Some(409),
        "The validity overlaps another version's", "Thời gian hiệu lực trùng với phiên bản khác";
    /// A published version edited.
    VersionImmutable = "version_immutable", Some(409),
        "A published version cannot be changed", "Không thể sửa phiên bản đã công bố";
    /// A dossier action its status does not allow (`current_status`, `allowed_actions`).
    TransitionNotAllowed = "transition_not_allowed", Some(409),
        "The dossier's status does not allow this action",
        "Trạng thái hiện tại của hồ sơ không cho phép thao tác này";
    /// A form that does not apply to the dossier as it stands (`dossier`).
    FormNotApplicable = "form_not_applicable", Some(409),
        "The form does not apply to the dossier as it stands",
        "Biểu mẫu không áp dụng cho hồ sơ ở tình trạng hiện tại";
    /// Nothing of the fees is owed.
    NothingToPay = "nothing_to_pay", Some(409),
        "The dossier owes nothing", "Hồ sơ không còn khoản phí, lệ phí nào phải nộp";
    /// A rating before the result is returned.
    NotReturned = "not_returned", Some(409),
        "The dossier's result is not returned yet", "Hồ sơ chưa được trả kết quả";
    /// A payment attempt that is settled already.
    PaymentNotPending = "payment_not_pending", Some(409),
        "The payment attempt is not pending", "Giao dịch thanh toán không còn ở trạng thái chờ";
    /// A payment asked of a dossier whose status takes none.
    PaymentClosed = "payment_closed", Some(409),
        "The dossier takes no payment in its status", "Hồ sơ ở trạng thái hiện tại không nhận thanh toán";
    /// A payment status change that is not allowed.
    PaymentNotAllowed = "payment_not_allowed", Some(409),
        "The payment cannot change this way", "Không thể chuyển khoản thanh toán sang trạng thái này";
    /// A fee relief after payments were asked or made.
    PaymentsExist = "payments_exist", Some(409),
        "Payments exist already: a relief comes before them", "Đã có khoản thanh toán: miễn, giảm phải ghi nhận trước";
    /// A refund of an attempt that is not owed back.
    RefundNotDue = "refund_not_due", Some(409),
        "This payment is not owed back", "Khoản thanh toán này không thuộc diện hoàn trả";
    /// Documents added to a dossier that takes none.
    DocumentsClosed = "documents_closed", Some(409),
        "The dossier takes no more documents", "Hồ sơ không nhận thêm giấy tờ";
    /// Information given without having been asked for.
    NoInformationAsked = "no_information_asked", Some(409),
        "No information was asked for", "Cơ quan chưa yêu cầu bổ sung thông tin";
    /// A national database dvc is not connected to.
    RegistryNotConnected = "registry_not_connected", Some(409),
        "Not connected to this national database", "Hệ thống chưa kết nối với cơ sở dữ liệu quốc gia này";
    // ---- 422 and the codes of its fields.
    /// One or more invalid fields, listed in `errors`.
    ValidationFailed = "validation_failed", Some(422),
        "The request has invalid fields", "Yêu cầu có trường dữ liệu không hợp lệ";
    /// A JSON field the operation does not know.
    UnknownField = "unknown_field", FIELD, "The operation does not take this field", "Thao tác này không nhận trường này";
    /// A query parameter the operation does not take.
    UnknownParameter = "unknown_parameter", FIELD,
        "The operation does not take this query parameter", "Thao tác này không nhận tham số truy vấn này";
    /// A value of the wrong type or shape, or a missing field.
    InvalidValue = "invalid_value", FIELD, "The value is missing or invalid", "Giá trị bị thiếu hoặc không hợp lệ";
    /// A value outside its range.
    OutOfRange = "out_of_range", FIELD, "The value is out of range", "Giá trị nằm ngoài phạm vi cho phép";
    /// A NUL character in a text.
    NulCharacter = "nul_character", FIELD, "A text may not contain a NUL character", "Văn bản không được chứa ký tự NUL";
    /// A missing value.
    Required = "required", FIELD, "Required", "Bắt buộc phải có";
    /// A text too short or too long.
    Length = "length", FIELD, "The text is too short or too long", "Độ dài không hợp lệ";
    /// A number out of range (a declared bound).
    Range = "range", FIELD, "The number is out of range", "Số nằm ngoài phạm vi cho phép";
    /// A value not allowed with the others.
    NotAllowed = "not_allowed", FIELD, "Not allowed here", "Không được phép trong trường hợp này";
    /// Too many items.
    TooMany = "too_many", FIELD, "Too many items", "Quá nhiều mục";
    /// A text or a period too long.
    TooLong = "too_long", FIELD, "Too long", "Quá dài";
    /// An item listed twice.
    Duplicate = "duplicate", FIELD, "Listed twice", "Bị lặp lại";
    /// An empty document.
    Empty = "empty", FIELD, "Empty", "Không được để trống";
    /// Not a cursor this API gave out.
    InvalidCursor = "invalid_cursor", FIELD, "Not a cursor of this list", "Con trỏ phân trang không hợp lệ";
    /// Filters that exclude each other.
    ConflictingFilters = "conflicting_filters", FIELD, "Filters that cannot go together", "Các bộ lọc mâu thuẫn nhau";
    /// Not a date (`YYYY-MM-DD`).
    InvalidDate = "invalid_date", FIELD, "Not a date (YYYY-MM-DD)", "Ngày không hợp lệ (định dạng YYYY-MM-DD)";
    /// A period that ends before it starts.
    BeforeFrom = "before_from", FIELD, "The period ends before it starts", "Thời điểm kết thúc trước thời điểm bắt đầu";
    /// An instant in the future where one in the past is needed.
    InTheFuture = "in_the_future", FIELD, "An instant in the future", "Thời điểm nằm ở tương lai";
    /// An instant in the past where one after now is needed.
    InThePast = "in_the_past", FIELD, "The instant is in the past", "Thời điểm đã qua";
    /// A promised date that is not after the due instant.
    NotAfterDue = "not_after_due", FIELD,
        "The new date is not after the due date", "Ngày hẹn mới phải sau thời hạn giải quyết";
    /// A partial or full online service without online submission.
    OnlineChannelRequired = "online_channel_required", FIELD,
        "An online service must accept online submission", "Dịch vụ công trực tuyến phải nhận hồ sơ nộp trực tuyến";
    /// Instants out of order.
    OutOfOrder = "out_of_order", FIELD, "Out of order in time", "Sai thứ tự thời gian";
    /// No such agency.
    UnknownAgency = "unknown_agency", FIELD, "No such agency", "Không có cơ quan này";
    /// No such calendar.
    UnknownCalendar = "unknown_calendar", FIELD, "No such calendar", "Không có lịch làm việc này";
    /// No dossier of the caller's has this code.
    UnknownDossier = "unknown_dossier", FIELD, "No such dossier", "Không có hồ sơ này";
    /// Not a component of the procedure version.
    UnknownComponent = "unknown_component", FIELD,
        "Not a component of the procedure", "Không phải thành phần hồ sơ của thủ tục";
    /// No payment attempt has this reference.
    UnknownReference = "unknown_reference", FIELD,
        "No payment attempt has this reference", "Không có giao dịch thanh toán với mã tham chiếu này";
    /// A figure that is not reported.
    UnknownMetric = "unknown_metric", FIELD, "No such metric", "Không có chỉ tiêu này";
    /// No such procedure.
    UnknownProcedure = "unknown_procedure", FIELD, "No such procedure", "Không có thủ tục này";
    /// A notification channel that does not exist.
    UnknownChannel = "unknown_channel", FIELD, "No such notification channel", "Không có kênh thông báo này";
    /// An upload whose body is a JSON array of numbers, not the file's bytes.
    JsonByteArray = "json_byte_array", FIELD,
        "The body is a JSON array of numbers: send the file's bytes as they are",
        "Nội dung là một mảng số JSON: hãy gửi nguyên các byte của tệp";
    /// An export format that is not offered.
    UnsupportedFormat = "unsupported_format", FIELD, "Unsupported format", "Định dạng không được hỗ trợ";
    /// `group` without `group_by`.
    GroupNeedsGroupBy = "group_needs_group_by", FIELD,
        "group goes with group_by", "Tham số group phải đi kèm group_by";
    /// A parameter an export does not take.
    NotWithExport = "not_with_export", FIELD,
        "Not available with an export", "Không dùng được khi xuất dữ liệu";
    /// A rating without the nine criteria of the national form.
    NineCriteria = "nine_criteria", FIELD,
        "The nine criteria of the national form are needed", "Cần đủ chín tiêu chí theo mẫu quốc gia";
    /// An imported rating that cannot stand.
    InvalidRating = "invalid_rating", FIELD, "The rating is invalid", "Đánh giá không hợp lệ";
    /// A history event that an import does not take.
    NotImportable = "not_importable", FIELD, "This cannot be imported", "Không thể nhập nội dung này";
    /// A payment's amount that differs from the attempt's.
    AmountMismatch = "amount_mismatch", FIELD,
        "The amount differs from the payment's", "Số tiền không khớp với khoản thanh toán";
    /// Not the payment platform's partner code or currency.
    WrongPartner = "wrong_partner", FIELD,
        "Not our partner code or currency", "Mã đối tác hoặc loại tiền không đúng";
    /// Not an acceptable URL.
    InvalidUrl = "invalid_url", FIELD, "Not a valid URL", "Địa chỉ URL không hợp lệ";
    /// A merger dated in the future.
    MergeInFuture = "merge_in_future", FIELD,
        "A merger cannot be dated in the future", "Ngày sáp nhập không được ở tương lai";
    /// A pause that ends before it starts.
    PauseEndsBeforeStart = "pause_ends_before_start", FIELD,
        "A pause ends before it starts", "Thời gian tạm dừng kết thúc trước khi bắt đầu";
    /// A notification channel without its contact address.
    NoContact = "no_contact", FIELD,
        "The channel needs a contact address", "Thiếu địa chỉ liên hệ cho kênh thông báo";
    /// A value that does not apply to this case.
    NotApplicable = "not_applicable", FIELD, "Does not apply here", "Không áp dụng trong trường hợp này";
    /// A procedure with no version in force.
    ProcedureNotInForce = "procedure_not_in_force", FIELD,
        "The procedure is not in force", "Thủ tục không có phiên bản đang có hiệu lực";
    /// A procedure not offered online.
    ProcedureNotOnline = "procedure_not_online", FIELD,
        "The procedure is not offered online", "Thủ tục không được cung cấp trực tuyến";
    /// An agency that does not handle the procedure.
    NotImplementingAgency = "not_implementing_agency", FIELD,
        "The agency does not handle this procedure", "Cơ quan không thực hiện thủ tục này";
    /// A submission channel the caller may not use.
    ChannelNotAllowed = "channel_not_allowed", FIELD,
        "This submission channel is not for the caller", "Kênh nộp hồ sơ không phù hợp với người nộp";
    /// Another person's data store.
    DataStoreNotYours = "data_store_not_yours", FIELD,
        "Only the applicant reads their own data store",
        "Chỉ chính người nộp mới lấy được giấy tờ từ kho dữ liệu của mình";
    /// Two fields given where one is taken.
    Conflict = "conflict", FIELD, "Give one of these fields, not both", "Chỉ nhập một trong hai trường, không nhập cả hai";
    /// A document too large.
    TooLarge = "too_large", FIELD, "The document is too large", "Tệp quá lớn";
    /// Content that is not base64.
    InvalidBase64 = "invalid_base64", FIELD, "Not base64", "Nội dung không phải dạng base64 hợp lệ";
    /// A citizen's data store code that is not 1–100 visible ASCII characters.
    InvalidDataStoreCode = "invalid_data_store_code", FIELD,
        "Not a data store code", "Mã giấy tờ trong kho dữ liệu không hợp lệ";
    /// A document marked reused without its data store code.
    ReusedWithoutSource = "reused_without_source", FIELD,
        "A reused document names its data store code", "Giấy tờ tái sử dụng phải ghi mã trong kho dữ liệu";
    /// A data store code where documents are not taken from the data store.
    NotSupportedHere = "not_supported_here", FIELD,
        "Not supported by this operation", "Thao tác này không hỗ trợ";
    /// No citizen's data store is connected.
    DataStoreNotConnected = "data_store_not_connected", FIELD,
        "No data store is connected", "Hệ thống chưa kết nối kho dữ liệu của công dân";
    /// The data store holds no document with this code.
    NotInDataStore = "not_in_data_store", FIELD,
        "The data store holds no such document", "Kho dữ liệu không có giấy tờ với mã này";
    /// A document not fetched because the request has other errors.
    NotFetched = "not_fetched", FIELD,
        "Not fetched while the request has other errors", "Chưa lấy giấy tờ vì yêu cầu còn lỗi khác cần sửa";
    /// The data store gave no answer.
    DataStoreUnavailable = "data_store_unavailable", FIELD,
        "The data store gave no answer: try again, or upload the document",
        "Kho dữ liệu không phản hồi: vui lòng thử lại hoặc tải tệp lên";
    /// A portal's dossier code that is not 1–64 visible ASCII characters.
    InvalidExternalCode = "invalid_external_code", FIELD,
        "The external code is invalid", "Mã hồ sơ bên ngoài không hợp lệ";
    /// Not a media type.
    InvalidMediaType = "invalid_media_type", FIELD, "Not a media type", "Kiểu tệp không hợp lệ";
    /// A public look-up without a second factor.
    FactorRequired = "factor_required", FIELD,
        "Give the last digits of the ID number or the phone",
        "Cần nhập các số cuối của giấy tờ tùy thân hoặc số điện thoại";
    /// A public look-up with both second factors.
    OneFactorOnly = "one_factor_only", FIELD,
        "Give one second factor only", "Chỉ nhập một trong hai thông tin xác minh";
    /// Last digits that are not digits, or too few or many.
    InvalidLastDigits = "invalid_last_digits", FIELD, "The last digits are invalid", "Các số cuối không hợp lệ";
    /// Not a dossier code.
    InvalidDossierCode = "invalid_dossier_code", FIELD, "Not a dossier code", "Mã hồ sơ không hợp lệ";
    /// An applicant who differs from the national database.
    ApplicantMismatch = "applicant_mismatch", FIELD,
        "Differs from the national database", "Thông tin không khớp với cơ sở dữ liệu quốc gia";
    /// An applicant the national database does not know.
    ApplicantNotFound = "applicant_not_found", FIELD,
        "Not in the national database", "Không có trong cơ sở dữ liệu quốc gia";
    /// Not an agency code (`ddd.dd.dd.Ldd`).
    InvalidAgencyCode = "invalid_agency_code", FIELD, "Not an agency code", "Mã cơ quan không hợp lệ";
    /// Not an agency level.
    InvalidAgencyLevel = "invalid_agency_level", FIELD, "Not an agency level", "Cấp cơ quan không hợp lệ";
    /// Not a kind of applicant.
    InvalidApplicantKind = "invalid_applicant_kind", FIELD,
        "Not a kind of applicant", "Loại người nộp hồ sơ không hợp lệ";
    /// Not an email address.
    InvalidEmail = "invalid_email", FIELD, "Not an email address", "Địa chỉ email không hợp lệ";
    /// Not an ID number.
    InvalidIdNumber = "invalid_id_number", FIELD, "Not an ID number", "Số giấy tờ tùy thân không hợp lệ";
    /// Not a personal identification number (12 digits).
    InvalidPersonalId = "invalid_personal_id", FIELD,
        "Not a personal identification number", "Số định danh cá nhân không hợp lệ";
    /// Not a phone number.
    InvalidPhone = "invalid_phone", FIELD, "Not a phone number", "Số điện thoại không hợp lệ";
    /// Not a procedure code.
    InvalidProcedureCode = "invalid_procedure_code", FIELD, "Not a procedure code", "Mã thủ tục không hợp lệ";
    /// Not a tax code.
    InvalidTaxCode = "invalid_tax_code", FIELD, "Not a tax code", "Mã số thuế không hợp lệ";
    /// An agency merged into itself.
    MergeIntoSelf = "merge_into_self", FIELD,
        "An agency cannot be merged into itself", "Không thể sáp nhập một cơ quan vào chính nó";
    /// An agency merged into one below it.
    MergeIntoDescendant = "merge_into_descendant", FIELD,
        "An agency cannot be merged into one below it", "Không thể sáp nhập cơ quan vào đơn vị cấp dưới của nó";
    /// An agency that would be its own ancestor.
    ParentCycle = "parent_cycle", FIELD,
        "An agency cannot be its own ancestor", "Một cơ quan không thể là cấp trên của chính nó";
    /// An agency that no longer acts.
    InactiveAgency = "inactive_agency", FIELD, "The agency is not active", "Cơ quan không còn hoạt động";
    /// A successor that no longer acts.
    InactiveSuccessor = "inactive_successor", FIELD,
        "The successor agency is not active", "Cơ quan tiếp nhận không còn hoạt động";
    /// An `Idempotency-Key` sent again with another request.
    IdempotencyKeyReused = "idempotency_key_reused", FIELD,
        "The Idempotency-Key was used for another request", "Khóa Idempotency-Key đã được dùng cho một yêu cầu khác";
    /// A reduction larger than the fees.
    ExceedsFees = "exceeds_fees", FIELD, "More than the fees", "Vượt quá tổng phí, lệ phí";
    /// A citizen filing for someone else without an authorisation.
    ApplicantNotSubmitter = "applicant_not_submitter", FIELD,
        "You may file only for yourself, or as a representative",
        "Bạn chỉ được nộp hồ sơ cho chính mình, hoặc với tư cách người được ủy quyền";
    /// A representative of oneself.
    RepresentativeOfSelf = "representative_of_self", FIELD,
        "One cannot represent oneself", "Không thể là người được ủy quyền của chính mình";
    /// A validity that ends before it starts.
    EmptyValidity = "empty_validity", FIELD,
        "The validity ends before it starts", "Thời gian hiệu lực kết thúc trước khi bắt đầu";
    /// A weekday number outside 1..=7.
    InvalidWeekday = "invalid_weekday", FIELD, "Not a weekday (1–7)", "Thứ trong tuần không hợp lệ (1–7)";
    /// A weekday listed twice.
    DuplicateWeekday = "duplicate_weekday", FIELD, "A weekday listed twice", "Thứ trong tuần bị lặp lại";
    /// No working weekday at all.
    EmptyWeek = "empty_week", FIELD, "The week has no working day", "Tuần không có ngày làm việc nào";
    /// No office hours at all.
    NoOfficeHours = "no_office_hours", FIELD, "A working day needs office hours", "Chưa có giờ làm việc";
    /// A time that is not `HH:MM` or `HH:MM:SS`.
    InvalidTime = "invalid_time", FIELD, "Not a time of day (HH:MM)", "Giờ không hợp lệ (định dạng HH:MM)";
    /// A span whose start is not before its end.
    EmptySpan = "empty_span", FIELD, "The start must be before the end", "Giờ bắt đầu phải trước giờ kết thúc";
    /// A span that starts before the previous one ends.
    SpansOverlap = "spans_overlap", FIELD, "Office hours overlap", "Các khoảng giờ làm việc chồng lấn nhau";
    /// A span that starts before the previous one starts.
    SpansNotAscending = "spans_not_ascending", FIELD,
        "Office hours out of order", "Các khoảng giờ làm việc không theo thứ tự tăng dần";
    /// A same-day cut-off outside every office span.
    CutoffOutsideOfficeHours = "cutoff_outside_office_hours", FIELD,
        "The same-day cut-off is outside office hours", "Giờ chốt trong ngày nằm ngoài giờ làm việc";
    /// A date listed twice, in one list or in both.
    DuplicateDate = "duplicate_date", FIELD, "A date listed twice", "Ngày bị lặp lại";
    /// A swapped working day that is already a working weekday.
    SwappedDayNotWeekend = "swapped_day_not_weekend", FIELD,
        "The swapped day is a working weekday already", "Ngày làm bù đã là ngày làm việc trong tuần";
    /// An empty (or blank) name.
    EmptyName = "empty_name", FIELD, "The name is empty", "Tên không được để trống";
    // ---- 429, 5xx.
    /// Too many public look-ups from one address (`Retry-After`).
    RateLimited = "rate_limited", Some(429),
        "Too many requests: try again later", "Quá nhiều yêu cầu: vui lòng thử lại sau";
    /// A fault of the server (quote `request_id`).
    InternalError = "internal_error", Some(500), "Internal error", "Lỗi hệ thống";
    /// No database connection (`Retry-After`).
    DatabaseUnavailable = "database_unavailable", Some(503),
        "The database is unavailable: try again shortly",
        "Cơ sở dữ liệu tạm thời không phản hồi: vui lòng thử lại sau";
    /// The database refuses writes until an operator acts; reads work.
    DatabaseReadOnly = "database_read_only", Some(503),
        "The database is read-only: changes are refused for now",
        "Cơ sở dữ liệu đang ở chế độ chỉ đọc: tạm thời không ghi được thay đổi";
    /// A national database that gave no answer.
    RegistryUnavailable = "registry_unavailable", Some(503),
        "The national database gave no answer: try again shortly",
        "Cơ sở dữ liệu quốc gia không phản hồi: vui lòng thử lại sau";
    /// The database's disk is full; reads work.
    StorageFull = "storage_full", Some(507),
        "The database's storage is full", "Bộ nhớ lưu trữ của cơ sở dữ liệu đã đầy";
}

impl ErrorCode {
    /// The code with this name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tests and logs compare a code with its name.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_has_both_messages() {
        for code in ErrorCode::ALL {
            for lang in Lang::ALL {
                let m = code.message(lang);
                assert!(!m.trim().is_empty(), "{code}: empty {lang:?} message");
                assert_eq!(m, m.trim(), "{code}: {lang:?} message has outer spaces");
            }
            assert_ne!(code.message(Lang::En), code.message(Lang::Vi), "{code}: the Vietnamese message is English");
        }
    }

    #[test]
    fn vietnamese_messages_are_written_with_diacritics() {
        // Every Vietnamese message but a bare name carries at least one
        // letter beyond ASCII: a message typed without its diacritics fails.
        for code in ErrorCode::ALL {
            let m = code.message(Lang::Vi);
            assert!(!m.is_ascii(), "{code}: {m:?} has no Vietnamese letter");
        }
        assert_eq!(ErrorCode::NotFound.message(Lang::Vi), "Không tìm thấy");
    }

    #[test]
    fn codes_are_snake_case_unique_and_serialise_as_their_names() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{s:?} is not snake_case"
            );
            assert!(seen.insert(s), "{s} is listed twice");
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }

    #[test]
    fn all_lists_every_variant_once() {
        // `ALL` is generated with the enum; a variant out of it would have no row.
        let set: HashSet<_> = ErrorCode::ALL.iter().collect();
        assert_eq!(set.len(), ErrorCode::ALL.len());
        assert!(ErrorCode::ALL.len() > 100, "{} codes", ErrorCode::ALL.len());
    }

    #[test]
    fn statuses_are_client_or_server_errors() {
        for code in ErrorCode::ALL {
            if let Some(s) = code.status() {
                assert!((400..600).contains(&s), "{code}: {s}");
            }
        }
        assert_eq!(ErrorCode::NotFound.status(), Some(404));
        assert_eq!(ErrorCode::Required.status(), None);
    }
}
