use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exam_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub blueprint_id: Uuid,
    pub course_id: Option<Uuid>,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub access_code: Option<String>,
    pub ip_allow: String,
    pub attempts_allowed: i32,
    pub review: String,
    pub issue_mode: String,
    pub registration: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<Uuid>,
    /// The practical part's paper, when the session has one.
    pub practical_paper_id: Option<Uuid>,
    /// Overrides the practical paper's pass score for this session.
    pub practical_pass_score: Option<f64>,
    /// How long a passed part is kept (bảo lưu), in months.
    pub reserve_months: i32,
    /// Days after the results within which a candidate may appeal.
    pub appeal_days: i32,
    /// Marks further apart than this (points) go to a third marker.
    pub marking_threshold: f64,
    /// When the results were published (approval, or the last final mark).
    pub results_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
