// What the reports screen fetches as files, and the two file lists of its own: the monthly reports the server keeps
// (plain links: the session cookie is enough and the phone's download manager can resume them) and, for admins,
// the acceptance pack. Shared with the report's own XLSX/PDF buttons: the retry of transient failures, handing a
// fetched file to the browser, a status line.
import { api, ApiError, archivedReportUrl, type ArchivedReport, type DownloadedFile } from '../api';
import { h, fill } from '../dom';
import { beijingDate, beijingMonth, lastDayOf } from '../format';
import { lang, t } from '../i18n';
import { problemText } from './commandText';

export type Status = { tone: 'wait' | 'ok' | 'bad'; text: string } | null;

/** Waits before the automatic second and third tries of a request that got no answer or a 5xx. */
const RETRY_DELAYS_MS = [2_000, 5_000];

/** Whether trying the same request again may help: no answer or a 5xx, but not a PDF refused for want of its font. */
export function transient(e: unknown): boolean {
  return e instanceof ApiError && e.transient && e.code !== 'report_font_missing';
}

/** Runs `work`, trying a transient failure again after a pause; a refusal is thrown at once. */
export async function withRetry<T>(work: () => Promise<T>, onRetry: (n: number) => void = () => {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!transient(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
      onRetry(attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }
}

/** Hands a fetched file to the browser's downloads, under the name the server gave it. */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  const a = h('a', { href: url, download: file.fileName, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function statusLine(status: Status, cls: string): HTMLElement | null {
  return status && h('p', { class: `${cls} status tone-${status.tone}`, role: status.tone === 'bad' ? 'alert' : 'status' }, status.text);
}

const monthLabel = (month: string): string => (lang() === 'en' ? month : `${month.slice(0, 4)}年${Number(month.slice(5, 7))}月`);
const kb = (bytes: number): string => `${Math.max(1, Math.round(bytes / 1024))} KB`;

// Kept across visits (a language switch mounts the screen again).
let archive: ArchivedReport[] | undefined;

export interface ArchiveList {
  /** Fetches the list again (retryButton: offered when it failed). */
  load(): Promise<void>;
  failed(): boolean;
}

/** The kept monthly reports: newest month first (open), in a month the towns' reports, then the stations', each with its XLSX and PDF. */
export function mountArchive(kept: HTMLElement, retryButton: () => HTMLElement): ArchiveList {
  let archiveError: unknown;

  function renderArchive(): void {
    const head = [h('h2', null, t('report.archive')), h('p', { class: 'muted small' }, t('report.archiveNote'))];
    if (!archive) {
      fill(kept, head, archiveError ? [h('p', { class: 'error' }, t('report.archiveError', { reason: problemText(archiveError) })), retryButton()] : h('p', { class: 'loading' }, t('app.loading')));
      return;
    }
    if (archive.length === 0) return fill(kept, head, h('p', { class: 'empty' }, t('report.archiveEmpty')));
    // Newest month first; in a month the towns' reports, then the stations', each with its XLSX and PDF.
    const months = new Map<string, Map<string, ArchivedReport[]>>();
    for (const r of archive) {
      const bySubject = months.get(r.period) ?? new Map<string, ArchivedReport[]>();
      months.set(r.period, bySubject);
      const subjectKey = `${r.scope === 'town' ? 0 : 1}|${r.subject}`;
      bySubject.set(subjectKey, [...(bySubject.get(subjectKey) ?? []), r]);
    }
    const periods = [...months.keys()].sort().reverse();
    fill(
      kept,
      head,
      periods.map((period, i) => {
        const entries = [...months.get(period)!.entries()].sort(([a], [b]) => a.localeCompare(b));
        return h(
          'details',
          { class: 'value-group archive-month', open: i === 0, 'data-period': period },
          h('summary', null, monthLabel(period), h('small', null, t('report.archiveCount', { n: entries.reduce((n, [, files]) => n + files.length, 0) }))),
          h(
            'ul',
            { class: 'archive-list' },
            entries.map(([, files]) =>
              h(
                'li',
                { 'data-subject': files[0].subject },
                h('span', { class: 'archive-name' }, files[0].name),
                h(
                  'span',
                  { class: 'archive-files' },
                  [...files]
                    .sort((a, b) => b.file.localeCompare(a.file))
                    .map((f) =>
                      h('a', { class: 'button small secondary', href: archivedReportUrl(f), download: f.file, 'data-file': f.file }, f.file.endsWith('.pdf') ? 'PDF' : 'XLSX', h('small', null, ` ${kb(f.bytes)}`)),
                    ),
                ),
              ),
            ),
          ),
        );
      }),
    );
  }

  async function loadArchive(): Promise<void> {
    try {
      archive = await withRetry(() => api.reportArchive());
      archiveError = undefined;
    } catch (e) {
      archiveError = e;
    }
    renderArchive();
  }

  renderArchive();
  return { load: loadArchive, failed: () => archive === undefined };
}

/** The acceptance pack for admins: from/to Beijing dates (default: last month), fetched as a zip. */
export function mountAcceptancePack(pack: HTMLElement): void {
  const packRange = { from: `${beijingMonth(1)}-01`, to: lastDayOf(beijingMonth(1)) };
  let packStatus: Status = null;

  function renderPack(): void {
    const busy = packStatus?.tone === 'wait';
    const date = (name: 'from' | 'to', label: string): HTMLElement =>
      h(
        'label',
        { class: 'field' },
        h('span', null, label),
        h('input', { type: 'date', name: `pack-${name}`, value: packRange[name], max: beijingDate(0), required: true, onchange: (e: Event) => (packRange[name] = (e.target as HTMLInputElement).value) }),
      );
    fill(
      pack,
      h('h2', null, t('report.pack')),
      h('p', { class: 'muted small' }, t('report.packNote')),
      h('div', { class: 'pack-range' }, date('from', t('report.packFrom')), date('to', t('report.packTo'))),
      h('button', { type: 'button', class: 'button primary wide', 'data-action': 'acceptance-pack', disabled: busy, onclick: () => void downloadPack() }, '⬇ ', t('report.packDownload')),
      statusLine(packStatus, 'pack-status'),
    );
  }

  async function downloadPack(): Promise<void> {
    const { from, to } = packRange;
    if (!from || !to || from > to) {
      packStatus = { tone: 'bad', text: t('report.packBadRange') };
      return renderPack();
    }
    packStatus = { tone: 'wait', text: t('report.packBusy') };
    renderPack();
    try {
      const file = await withRetry(
        () => api.acceptancePack(from, to),
        (n) => {
          packStatus = { tone: 'wait', text: t('report.retrying', { n }) };
          renderPack();
        },
      );
      saveFile(file);
      packStatus = { tone: 'ok', text: t('report.downloaded', { file: file.fileName }) };
    } catch (e) {
      packStatus = { tone: 'bad', text: t('report.packFailed', { reason: problemText(e) }) };
    }
    renderPack();
  }

  renderPack();
}
