//! Token usage of the user's agent runs, per day (the owner-control issue builds quotas on it).

use uuid::Uuid;

use super::store::Store;
use crate::error::AppError;
use crate::model::UsageDay;

#[derive(Clone)]
pub struct UsageService {
    store: Store,
}

impl UsageService {
    pub fn new(store: Store) -> Self {
        UsageService { store }
    }

    /// The last `days` UTC days (1–366, default 30; today included) that had runs, newest
    /// first: one account's, or with `None` the whole instance's.
    pub async fn daily(
        &self,
        user_id: Option<Uuid>,
        days: Option<i64>,
    ) -> Result<Vec<UsageDay>, AppError> {
        let days = days.unwrap_or(30);
        if !(1..=366).contains(&days) {
            return Err(AppError::validation(
                "days",
                "days must be between 1 and 366.",
            ));
        }
        let today = chrono::Utc::now().date_naive();
        let first = today - chrono::Days::new(days.saturating_sub(1) as u64);
        let since = first
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let rows = self.store.usage_by_day(user_id, since).await?;
        Ok(rows
            .into_iter()
            .map(|r| UsageDay {
                date: chrono::DateTime::from_timestamp(r.day * 86_400, 0)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                runs: r.runs as u64,
                prompt_tokens: r.prompt_tokens as u64,
                completion_tokens: r.completion_tokens as u64,
                total_tokens: (r.prompt_tokens + r.completion_tokens) as u64,
                estimated_runs: r.estimated_runs as u64,
            })
            .collect())
    }
}
