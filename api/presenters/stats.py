"""Statistics, the creator's dashboard and the rankings as the contract shows them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.accounts import _avatar
from api.presenters.feed import cards, links
from api.schemas import stats as out
from content import stats
from content.models import RankingKind, Stage
from infra.services import Services


def reach_out(r: stats.Reach) -> dict[str, float | int]:
    return {
        "views": r.views,
        "viewers": r.viewers,
        "completions": r.completions,
        "completion_rate": r.completion_rate,
        "watched_s": round(r.watched_s, 1),
        "likes": r.likes,
        "favorites": r.favorites,
        "shares": r.shares,
    }


def admin_stats(o: stats.Overview) -> out.AdminStatsOut:
    p = o.publishing
    return out.AdminStatsOut(
        from_=o.range.first,
        to=o.range.last,
        days=o.range.days,
        totals=out.ReachOut(**reach_out(o.totals)),
        by_topic_audience=[
            out.SegmentOut(topic=s.topic, audience=s.audience, **reach_out(s.reach))
            for s in o.by_segment
        ],
        by_type=[out.TypeReachOut(type=t.type, **reach_out(t.reach)) for t in o.by_type],
        review=out.ReviewStatsOut(
            stages=[
                out.StageOutcomeOut(
                    stage=s.stage,
                    action=s.action,
                    decisions=s.decisions,
                    mean_in_stage_s=s.mean_in_stage_s,
                    max_in_stage_s=round(s.max_in_stage_s, 1),
                )
                for s in o.stages
            ],
            per_day=[
                out.DayDecisionsOut(
                    day=d.day,
                    machine=d.by_stage[Stage.machine],
                    political=d.by_stage[Stage.political],
                    science=d.by_stage[Stage.science],
                )
                for d in o.throughput
            ],
            submit_to_publish=out.PublishingOut(
                published=p.published, mean_s=p.mean_s, max_s=round(p.max_s, 1)
            ),
        ),
        reports_by_reason=[out.ReasonCountOut(**r) for r in o.reports_by_reason],
    )


def my_stats(rows: list[stats.MyContentStats]) -> list[out.MyContentStatsOut]:
    result = []
    for r in rows:
        s = r.stats
        lifetime = stats.Reach(
            s.views, s.viewers, s.completions, s.watched_s, s.likes, s.favorites, s.shares
        ) if s else stats.Reach()  # fmt: skip
        result.append(
            out.MyContentStatsOut(
                content_id=r.content.id,
                title=r.revision.title,
                type=r.content.type,
                status=r.content.status,
                published_at=r.content.published_at,
                last_7_days=out.ReachOut(**reach_out(r.recent)),
                **reach_out(lifetime),
            )
        )
    return result


async def ranking(
    session: AsyncSession, services: Services, ranking: stats.Ranking
) -> schemas.RankingOut:
    items: list[out.RankedCardOut] | list[out.RankedCreatorOut]
    if ranking.kind == RankingKind.contents:
        ranked = await stats.contents(ranking, session)
        shown = await cards(session, services, [r.card for r in ranked])
        items = [
            out.RankedCardOut(**card.model_dump(), rank=i, score=r.score)
            for i, (card, r) in enumerate(zip(shown, ranked, strict=True), 1)
        ]
    else:
        people = await stats.creators(ranking, session)
        found = await links(session, services, [], True, [p.creator for p in people])
        items = [
            out.RankedCreatorOut(
                rank=i,
                id=p.creator.id,
                display_name=p.creator.display_name,
                avatar_url=_avatar(found, p.creator),
                score=p.score,
            )
            for i, p in enumerate(people, 1)
        ]
    return out.RankingOut(
        period=ranking.period, kind=ranking.kind, items=items, computed_at=ranking.computed_at
    )
