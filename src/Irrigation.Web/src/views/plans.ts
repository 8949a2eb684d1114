// Plan screens: the list (/plans) and one plan (/plans/{id}) with its steps, estimate, next runs, run history and
// changes. Operators and admins create, edit, pause, resume and delete; viewers and crews read.
import { api, ApiError, type Plan, type PlanRevision, type PlanRun, type PlanSync } from '../api';
import { h, fill } from '../dom';
import { t, type MessageKey } from '../i18n';
import { clockTime, relativeTime } from '../format';
import { store } from '../store';
import { problemText } from './commandText';
import { daysText, estimateBlock, minutesText, runRow, syncWarning, timeText } from './planText';

export function mayEditPlans(): boolean {
  return store.user?.role === 'operator' || store.user?.role === 'admin';
}

export interface PlansView {
  refresh(): Promise<void>;
}

export function mountPlanList(root: HTMLElement): PlansView {
  let plans: Plan[] | undefined;
  let syncs: PlanSync[] = [];
  const render = (): void => {
    if (!plans) {
      fill(root, h('p', { class: 'loading' }, t('app.loading')));
      return;
    }
    fill(
      root,
      h('h1', { class: 'page-title' }, t('plan.title')),
      syncs.map(syncWarning),
      mayEditPlans() ? h('a', { class: 'button primary wide', href: '/plans/new', 'data-link': true, 'data-action': 'new-plan' }, '+ ', t('plan.new')) : h('p', { class: 'muted' }, t('plan.viewerNote')),
      plans.length === 0 ? h('p', { class: 'empty' }, t('plan.empty')) : h('ul', { class: 'plans' }, plans.map(planCard)),
    );
  };
  render();
  return {
    refresh: async () => {
      [plans, syncs] = await Promise.all([api.plans(), api.planSync()]);
      render();
    },
  };
}

function planCard(p: Plan): HTMLElement {
  const next = p.next[0];
  return h(
    'li',
    null,
    h(
      'a',
      { class: `plan-card${p.paused ? ' paused' : ''}`, href: `/plans/${encodeURIComponent(p.id)}`, 'data-link': true, 'data-plan': p.id },
      h('div', { class: 'row-top' }, h('span', { class: 'plan-name' }, p.name), h('span', { class: `badge ${p.paused ? 'paused' : 'ok'}` }, t(p.paused ? 'plan.paused' : 'plan.active'))),
      h('div', { class: 'plan-when' }, t(`plan.mode.${p.mode}` as MessageKey), ' · ', daysText(p.days), ' · ', t('plan.startAt', { time: timeText(p.start) })),
      h('div', { class: 'plan-steps-short' }, p.steps.map((s) => `${s.stationName} ${t('pump.name', { n: s.pump })}`).join(' → ')),
      h('div', { class: 'plan-next muted' }, next ? `${t('plan.next')}: ${clockTime(next.start)}` : t('plan.noNext')),
    ),
  );
}

export function mountPlanDetail(root: HTMLElement, id: string, navigate: (path: string) => void): PlansView {
  let plan: Plan | undefined;
  let runs: PlanRun[] = [];
  let revisions: PlanRevision[] = [];
  let error = '';
  const render = (): void => {
    if (!plan) {
      fill(root, h('a', { href: '/plans', class: 'back', 'data-link': true }, '‹ ', t('plan.back')), h('p', { class: error ? 'error' : 'loading' }, error || t('app.loading')));
      return;
    }
    const p = plan;
    const act = async (work: () => Promise<unknown>): Promise<void> => {
      try {
        error = '';
        await work();
        await refresh();
      } catch (e) {
        error = problemText(e);
        render();
      }
    };
    fill(
      root,
      h('a', { href: '/plans', class: 'back', 'data-link': true }, '‹ ', t('plan.back')),
      h('h1', { class: 'page-title plan-title' }, p.name, h('span', { class: `badge ${p.paused ? 'paused' : 'ok'}` }, t(p.paused ? 'plan.paused' : 'plan.active'))),
      h(
        'p',
        { class: 'plan-when' },
        t(`plan.mode.${p.mode}` as MessageKey),
        ' · ',
        daysText(p.days),
        ' · ',
        t('plan.startAt', { time: timeText(p.start) }),
        p.startGapSeconds > 0 && [' · ', t('plan.gap', { n: minutesText(p.startGapSeconds) })],
      ),
      h('p', { class: 'muted' }, t('plan.season', { from: p.seasonFrom, to: p.seasonTo }), p.skipDates.length > 0 && [' · ', t('plan.skipDates'), ': ', p.skipDates.join(', ')]),
      p.overrideOperatorStop && h('p', { class: 'muted' }, t('plan.overrideOperatorStop')),
      error && h('p', { class: 'error', role: 'alert' }, error),
      mayEditPlans() &&
        h(
          'div',
          { class: 'plan-actions' },
          h('a', { class: 'button secondary', href: `/plans/${encodeURIComponent(p.id)}/edit`, 'data-link': true, 'data-action': 'edit' }, t('plan.edit')),
          h('button', { type: 'button', class: 'button secondary', 'data-action': p.paused ? 'resume' : 'pause', onclick: () => void act(() => api.pausePlan(p.id, !p.paused)) }, t(p.paused ? 'plan.resume' : 'plan.pause')),
          h(
            'button',
            {
              type: 'button',
              class: 'button stop',
              'data-action': 'delete',
              onclick: () => {
                if (!confirm(t('plan.deleteConfirm', { name: p.name }))) return;
                void act(async () => {
                  await api.deletePlan(p.id);
                  navigate('/plans');
                });
              },
            },
            t('plan.delete'),
          ),
        ),
      h('h2', null, t('plan.steps')),
      h(
        'ol',
        { class: 'plan-steps' },
        p.steps.map((s) =>
          h(
            'li',
            null,
            h('a', { href: `/stations/${encodeURIComponent(s.station)}`, 'data-link': true }, s.stationName),
            ' ',
            t('plan.step', { station: '', pump: s.pump, minutes: minutesText(s.durationSeconds) }).trim(),
            h('span', { class: 'muted' }, ' ', t('plan.stepAt', { offset: minutesText(s.offsetSeconds) })),
          ),
        ),
      ),
      estimateBlock(p),
      h('h2', null, t('plan.next')),
      p.next.length === 0 ? h('p', { class: 'muted' }, t('plan.noNext')) : h('ul', { class: 'runs next' }, p.next.map((r) => runRow(r, true, false))),
      h('h2', null, t('plan.runs')),
      runs.length === 0 ? h('p', { class: 'muted' }, t('plan.noRuns')) : h('ul', { class: 'runs history' }, runs.map((r) => runRow(r, true, false))),
      h('h2', null, t('plan.revisions')),
      h(
        'ul',
        { class: 'revisions muted' },
        revisions.map((r) =>
          h('li', null, t('plan.revision', { n: r.revision, change: t(`plan.change.${r.change}` as MessageKey), user: r.changedBy, when: relativeTime(r.changedAt) })),
        ),
      ),
    );
  };
  const refresh = async (): Promise<void> => {
    try {
      [plan, runs, revisions] = await Promise.all([api.plan(id), api.planRuns(id), api.planRevisions(id)]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        plan = undefined;
        error = t('plan.notFound');
      } else throw e;
    }
    render();
  };
  render();
  return { refresh };
}
