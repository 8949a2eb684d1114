// The reports screen (/reports): a town's or a station's monthly (月报) or daily (日报) report — the totals first,
// then a compact row per station or day — with XLSX and PDF downloads, the monthly reports the server keeps, and for
// admins the acceptance pack. The choice lives in the address (/reports?town=城东镇&period=2026-11,
// /reports?station=st001&period=2026-11-03), so a reload or a shared link opens the same report.
//
// Made for patchy 4G: every fetch shows that it is under way; a lost connection or a 5xx is tried again twice by
// itself, then offered as 重试; a report already fetched stays on screen while it is fetched again. Files are
// fetched (not plain links) so a refusal shows its code's words instead of a broken download.
import { api, ApiError, type Report, type ReportSubject } from '../api';
import { h, fill } from '../dom';
import { beijingDate, beijingMonth, lastDayOf } from '../format';
import { t } from '../i18n';
import { store } from '../store';
import { problemText } from './commandText';
import { reportFigures } from './reportFigures';
import { mountAcceptancePack, mountArchive, saveFile, statusLine, transient, withRetry, type Status } from './reportFiles';

type Scope = 'town' | 'station';
type Kind = 'month' | 'day';
type Format = 'xlsx' | 'pdf';

interface Choice {
  scope: Scope;
  subject: string;
  kind: Kind;
  month: string;
  day: string;
}

// Kept across visits (a language switch mounts the screen again): what was fetched shows at once, then is refreshed.
let subjects: ReportSubject[] | undefined;
let lastReport: { key: string; report: Report } | undefined;

export function mayDownloadAcceptancePack(): boolean {
  return store.user?.role === 'admin';
}

function choiceFromUrl(): Choice {
  const q = new URLSearchParams(location.search);
  const period = q.get('period') ?? '';
  const station = q.get('station');
  const day = /^\d{4}-\d{2}-\d{2}$/.test(period) ? period : '';
  const month = /^\d{4}-\d{2}$/.test(period) ? period : day ? day.slice(0, 7) : beijingMonth(1);
  return {
    scope: station !== null ? 'station' : 'town',
    subject: station ?? q.get('town') ?? '',
    kind: day ? 'day' : 'month',
    month,
    day: day || minDate(lastDayOf(month), beijingDate(0)),
  };
}

const minDate = (a: string, b: string): string => (a < b ? a : b);
const periodOf = (c: Choice): string => (c.kind === 'day' ? c.day : c.month);
const keyOf = (c: Choice): string => `${c.scope}|${c.subject}|${periodOf(c)}`;

function writeUrl(c: Choice): void {
  const q = new URLSearchParams();
  if (c.subject) q.set(c.scope, c.subject);
  if (periodOf(c)) q.set('period', periodOf(c));
  history.replaceState(null, '', `/reports?${q.toString()}`);
}

const townLabel = (town: string): string => town || t('report.noTown');

export interface ReportsView {
  /** Fetches everything the screen shows. */
  refresh(): Promise<void>;
  /** Fetches again only what failed (after a reconnect, and while the event stream is down): reports are not live. */
  retryFailed(): Promise<void>;
}

export function mountReports(root: HTMLElement): ReportsView {
  const choice = choiceFromUrl();
  const picker = h('div', { class: 'report-picker' });
  const downloads = h('div', { class: 'report-downloads' });
  const result = h('section', { class: 'report', 'aria-live': 'polite' });
  const kept = h('section', { class: 'report-archive' });
  const pack = mayDownloadAcceptancePack() ? h('section', { class: 'acceptance-pack' }) : null;
  fill(root, h('h1', { class: 'page-title' }, t('report.title')), picker, downloads, result, kept, pack);

  let subjectsError: unknown;
  let reportState: 'idle' | 'loading' | 'loaded' | 'error' = 'idle';
  let reportError: unknown;
  let retrying = 0;
  let sequence = 0;
  const fileStatus: Record<Format, Status> = { xlsx: null, pdf: null };

  const towns = (): string[] => (subjects ?? []).map((s) => s.town).filter((town) => town !== '');
  const stations = (): { id: string; name: string; town: string }[] => (subjects ?? []).flatMap((s) => s.stations.map((st) => ({ ...st, town: s.town })));

  /** A subject that exists for the scope: the chosen one, else the first town (or station). */
  const settleSubject = (): void => {
    if (!subjects || choice.subject) return;
    choice.subject = choice.scope === 'town' ? (towns()[0] ?? '') : (stations()[0]?.id ?? '');
    if (!choice.subject && choice.scope === 'town' && stations().length > 0) {
      choice.scope = 'station'; // only stations without a town: a town report has nothing to name
      choice.subject = stations()[0].id;
    }
  };

  const change = (next: Partial<Choice>, redrawPicker = false): void => {
    Object.assign(choice, next);
    settleSubject();
    for (const format of ['xlsx', 'pdf'] as const) if (fileStatus[format]?.tone !== 'wait') fileStatus[format] = null; // said of the previous report
    writeUrl(choice);
    if (redrawPicker) renderPicker();
    renderDownloads();
    void loadReport();
  };

  function renderPicker(): void {
    if (!subjects) {
      fill(picker, h('p', { class: subjectsError ? 'error' : 'loading' }, subjectsError ? t('report.subjectsError', { reason: problemText(subjectsError) }) : t('app.loading')), subjectsError ? retryButton() : null);
      return;
    }
    if (stations().length === 0) return fill(picker, h('p', { class: 'empty' }, t('report.noSubjects')));
    const seg = (active: boolean, data: Record<string, string>, label: string, onclick: () => void): HTMLElement =>
      h('button', { type: 'button', class: `seg${active ? ' active' : ''}`, 'aria-pressed': String(active), ...data, onclick }, label);
    const scopeTo = (scope: Scope): void => {
      if (scope === choice.scope) return;
      const here = choice.scope === 'town' ? stations().find((s) => s.town === choice.subject) : stations().find((s) => s.id === choice.subject);
      change({ scope, subject: scope === 'station' ? (here?.id ?? '') : here?.town || '' }, true);
    };
    const kindTo = (kind: Kind): void => {
      if (kind === choice.kind) return;
      change(kind === 'day' ? { kind, day: minDate(lastDayOf(choice.month), beijingDate(0)) } : { kind, month: choice.day.slice(0, 7) }, true);
    };
    const subjectSelect =
      choice.scope === 'town'
        ? h(
            'select',
            { id: 'report-subject', name: 'town', onchange: (e: Event) => change({ subject: (e.target as HTMLSelectElement).value }) },
            // A town from the address that the list lacks stays chosen, so the server's answer (town_not_found) is shown.
            [...towns(), ...(towns().includes(choice.subject) ? [] : [choice.subject])].map((town) => h('option', { value: town, selected: town === choice.subject }, town)),
          )
        : h(
            'select',
            { id: 'report-subject', name: 'station', onchange: (e: Event) => change({ subject: (e.target as HTMLSelectElement).value }) },
            (subjects ?? []).map((s) =>
              h(
                'optgroup',
                { label: townLabel(s.town) },
                s.stations.map((st) => h('option', { value: st.id, selected: st.id === choice.subject }, st.name || st.id)),
              ),
            ),
            !stations().some((st) => st.id === choice.subject) && h('option', { value: choice.subject, selected: true }, choice.subject),
          );
    const periodInput =
      choice.kind === 'month'
        ? h('input', { id: 'report-period', name: 'month', type: 'month', value: choice.month, max: beijingMonth(0), required: true, onchange: (e: Event) => change({ month: (e.target as HTMLInputElement).value }) })
        : h('input', { id: 'report-period', name: 'day', type: 'date', value: choice.day, max: beijingDate(0), required: true, onchange: (e: Event) => change({ day: (e.target as HTMLInputElement).value }) });
    fill(
      picker,
      h(
        'div',
        { class: 'report-toggles' },
        h(
          'div',
          { class: 'segmented tabs-seg', role: 'group', 'aria-label': t('report.scopeLabel') },
          seg(choice.scope === 'town', { 'data-scope': 'town' }, t('report.scope.town'), () => scopeTo('town')),
          seg(choice.scope === 'station', { 'data-scope': 'station' }, t('report.scope.station'), () => scopeTo('station')),
        ),
        h(
          'div',
          { class: 'segmented tabs-seg', role: 'group', 'aria-label': t('report.kindLabel') },
          seg(choice.kind === 'month', { 'data-kind': 'month' }, t('report.kind.month'), () => kindTo('month')),
          seg(choice.kind === 'day', { 'data-kind': 'day' }, t('report.kind.day'), () => kindTo('day')),
        ),
      ),
      h('label', { class: 'filter-station', for: 'report-subject' }, h('span', null, t(choice.scope === 'town' ? 'report.town' : 'report.station')), subjectSelect),
      h('label', { class: 'filter-station', for: 'report-period' }, h('span', null, t(choice.kind === 'month' ? 'report.month' : 'report.day')), periodInput),
    );
  }

  function retryButton(): HTMLElement {
    return h('button', { type: 'button', class: 'button secondary retry', 'data-action': 'retry', onclick: () => void retryFailed() }, t('report.retry'));
  }

  function renderDownloads(): void {
    const ready = subjects !== undefined && choice.subject !== '' && periodOf(choice) !== '';
    const button = (format: Format): HTMLElement =>
      h(
        'button',
        { type: 'button', class: 'button secondary', 'data-download': format, disabled: !ready || fileStatus[format]?.tone === 'wait', onclick: () => void downloadReport(format) },
        '⬇ ',
        t(format === 'xlsx' ? 'report.downloadXlsx' : 'report.downloadPdf'),
      );
    fill(downloads, h('div', { class: 'download-buttons' }, button('xlsx'), button('pdf')), statusLine(fileStatus.xlsx, 'file-status xlsx'), statusLine(fileStatus.pdf, 'file-status pdf'));
  }

  async function downloadReport(format: Format): Promise<void> {
    const name = format.toUpperCase();
    const wanted = { ...choice };
    fileStatus[format] = { tone: 'wait', text: t('report.downloading', { format: name }) };
    renderDownloads();
    try {
      const file = await withRetry(
        () => api.reportFile(wanted.scope, wanted.subject, periodOf(wanted), format),
        (n) => {
          fileStatus[format] = { tone: 'wait', text: t('report.retrying', { n }) };
          renderDownloads();
        },
      );
      saveFile(file);
      fileStatus[format] = { tone: 'ok', text: t('report.downloaded', { file: file.fileName }) };
    } catch (e) {
      fileStatus[format] = { tone: 'bad', text: t('report.downloadFailed', { format: name, reason: problemText(e) }) };
    }
    renderDownloads();
  }

  function renderResult(): void {
    const key = keyOf(choice);
    const shown = lastReport?.key === key ? lastReport.report : undefined;
    if (!choice.subject) return fill(result);
    if (!periodOf(choice)) return fill(result, h('p', { class: 'muted' }, t('report.choosePeriod')));
    const progress =
      reportState === 'loading'
        ? h('p', { class: 'loading report-loading', role: 'status' }, retrying > 0 ? t('report.retrying', { n: retrying }) : t(shown ? 'report.updating' : 'report.loading'))
        : reportState === 'error'
          ? h(
              'div',
              { class: 'report-error' },
              h('p', { class: 'error', role: 'alert', 'data-code': reportError instanceof ApiError ? reportError.code : 'unknown' }, problemText(reportError)),
              transient(reportError) && retryButton(),
            )
          : null;
    fill(result, progress, shown && reportFigures(shown));
  }

  async function loadReport(): Promise<void> {
    if (!choice.subject || !periodOf(choice)) {
      reportState = 'idle';
      return renderResult();
    }
    const mine = ++sequence;
    const wanted = { ...choice };
    reportState = 'loading';
    retrying = 0;
    renderResult();
    try {
      const report = await withRetry(
        () => api.report(wanted.scope, wanted.subject, periodOf(wanted)),
        (n) => {
          if (mine !== sequence) return;
          retrying = n;
          renderResult();
        },
      );
      lastReport = { key: keyOf(wanted), report };
      if (mine !== sequence) return;
      reportState = 'loaded';
    } catch (e) {
      if (mine !== sequence) return;
      reportState = 'error';
      reportError = e;
    }
    renderResult();
  }

  async function loadSubjects(): Promise<void> {
    try {
      subjects = await withRetry(() => api.reportSubjects());
      subjectsError = undefined;
    } catch (e) {
      subjectsError = e;
    }
    settleSubject();
    writeUrl(choice);
    renderPicker();
    renderDownloads();
  }

  const archive = mountArchive(kept, retryButton);
  if (pack) mountAcceptancePack(pack);

  async function refresh(): Promise<void> {
    const archiveLoaded = archive.load();
    // A subject named in the address is fetched at once; otherwise the list says which one to show first.
    if (choice.subject) await Promise.all([loadSubjects(), loadReport(), archiveLoaded]);
    else {
      await loadSubjects();
      await Promise.all([loadReport(), archiveLoaded]);
    }
  }

  async function retryFailed(): Promise<void> {
    const archiveLoaded = archive.failed() ? archive.load() : null;
    if (!subjects) await loadSubjects();
    await Promise.all([archiveLoaded, (reportState === 'error' && transient(reportError)) || (reportState === 'idle' && !lastReport) ? loadReport() : null]);
  }

  // Back in signal: fetch what failed without waiting for a tap (the event stream's reconnect may come later).
  const onOnline = (): void => {
    if (!root.contains(result)) return window.removeEventListener('online', onOnline);
    void retryFailed();
  };
  window.addEventListener('online', onOnline);

  renderPicker();
  renderDownloads();
  renderResult();
  return { refresh, retryFailed };
}

