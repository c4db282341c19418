/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * i18n.c - the report's fixed texts in English and Korean. Rule texts come
 * from the rule files (summary / summary_ko ...); this table holds only
 * headings, labels and the verdict sentences. Sorted by key (a unit test
 * checks it) and looked up by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "promsight/ps_report.h"
#include "report/report_int.h"

struct tr {
    const char *key, *en, *ko;
};

static const struct tr table[] = {
    {"advice", "Advice", "조치"},
    {"bytes", "Bytes", "바이트"},
    {"capacity", "Capacity forecasts", "용량 예측"},
    {"cardinality", "Cardinality and churn", "카디널리티와 처닝"},
    {"chart_forecast", "Forecast", "예측"},
    {"checklist", "Operations checklist", "운영 점검표"},
    {"class", "Class", "분류"},
    {"cost", "Cost", "비용"},
    {"count", "Count", "개수"},
    {"daily", "daily", "일간"},
    {"data_at_risk", "Data at risk", "유실 위험 데이터"},
    {"description", "Description", "설명"},
    {"detail", "Detail", "세부"},
    {"entries", "Entries", "항목"},
    {"events", "Events", "이벤트"},
    {"evidence", "Evidence", "근거"},
    {"file", "File", "파일"},
    {"finding", "Finding", "발견 사항"},
    {"findings", "Findings", "발견 사항"},
    {"first", "First seen", "최초 발생"},
    {"forecast_at", "Forecast at", "예측 시점"},
    {"inventory", "Bundle inventory", "번들 목록"},
    {"kind", "Kind", "종류"},
    {"last", "Last seen", "마지막 발생"},
    {"missing_inputs", "Missing inputs", "없는 입력"},
    {"model", "Model", "모델"},
    {"monthly", "monthly", "월간"},
    {"no_findings", "No findings at or above info.", "발견 사항이 없습니다."},
    {"none", "none", "없음"},
    {"peak", "Peak", "최대값"},
    {"period", "Period", "주기"},
    {"problems", "Unreadable or damaged input", "읽을 수 없거나 손상된 입력"},
    {"recommendations", "Recommendations", "권고 사항"},
    {"redactions", "Redacted secrets", "가려진 비밀 정보"},
    {"report_title", "promsight report", "promsight 보고서"},
    {"rule", "Rule", "규칙"},
    {"series", "Series", "시리즈"},
    {"sev_critical", "critical", "심각"},
    {"sev_info", "info", "정보"},
    {"sev_warning", "warning", "경고"},
    {"severity", "Severity", "심각도"},
    {"skipped", "Skipped rules", "건너뛴 규칙"},
    {"status", "Status", "상태"},
    {"status_critical", "CRITICAL", "심각"},
    {"status_fail", "fail", "실패"},
    {"status_info", "INFO", "정보"},
    {"status_ok", "OK", "정상"},
    {"status_pass", "pass", "통과"},
    {"status_unknown", "unknown from this bundle", "이 번들로는 알 수 없음"},
    {"status_warn", "warn", "경고"},
    {"status_warning", "WARNING", "경고"},
    {"summary", "Summary", "요약"},
    {"time", "Time", "시각"},
    {"timeline", "Incident timeline", "장애 타임라인"},
    {"top_findings", "Top findings", "주요 발견 사항"},
    {"tsdb_health", "TSDB health", "TSDB 상태"},
    {"value", "Value", "값"},
    {"verdict", "Verdict", "판정"},
    {"wal_health", "WAL health", "WAL 상태"},
    {"weekly", "weekly", "주간"},
    {"window", "Window", "분석 구간"},
};

static int
cmp_key(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const struct tr *)e)->key);
}

int
ps_lang_parse(const char *s, enum ps_lang *lang)
{
    if (strcmp(s, "en") == 0)
        *lang = PS_LANG_EN;
    else if (strcmp(s, "ko") == 0)
        *lang = PS_LANG_KO;
    else
        return -1;
    return 0;
}

const char *
ps_tr(enum ps_lang lang, const char *key)
{
    const struct tr *t = bsearch(key, table, sizeof(table) / sizeof(*table),
                                 sizeof(*table), cmp_key);
    if (t == NULL)
        return key;
    return lang == PS_LANG_KO && t->ko != NULL ? t->ko : t->en;
}

/* For the unit test: 1 if the table is sorted and unique. */
int
ps_tr_table_sorted(void)
{
    for (size_t i = 1; i < sizeof(table) / sizeof(*table); i++)
        if (strcmp(table[i - 1].key, table[i].key) >= 0)
            return 0;
    return 1;
}
