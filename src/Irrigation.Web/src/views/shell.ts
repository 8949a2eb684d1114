// The frame around every signed-in page: title, user and role, language switch, sign-out, the station/plan/alarm/report tabs,
// connection banners.
import { h, fill } from '../dom';
import { lang, setLang, t, type MessageKey } from '../i18n';
import { openAlarms, store } from '../store';

export function langButton(onSwitch: () => void): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'lang',
      'aria-label': t('lang.switchLabel'),
      onclick: () => {
        setLang(lang() === 'en' ? 'zh-CN' : 'en');
        onSwitch();
      },
    },
    t('lang.switch'),
  );
}

export function renderHeader(el: HTMLElement, onSwitchLang: () => void, onLogout: () => void): void {
  const user = store.user;
  fill(
    el,
    h('a', { href: '/', class: 'brand', 'data-link': true }, t('app.title')),
    h(
      'div',
      { class: 'who' },
      user && h('span', { class: 'user' }, user.displayName || user.username, h('small', { class: 'role' }, t(`role.${user.role}` as MessageKey))),
      langButton(onSwitchLang),
      user && h('button', { type: 'button', class: 'logout', onclick: onLogout }, t('user.logout')),
    ),
  );
}

/** 机埠 | 计划 | 报警 (n) | 报表: the count is every open alarm (red while any is unacknowledged, dark once all are acknowledged). */
export function renderNav(el: HTMLElement): void {
  const open = openAlarms();
  const count = store.alarmsLoaded ? open.length : [...store.stations.values()].reduce((n, s) => n + (s.activeAlarms ?? 0), 0);
  const unacknowledged = store.alarmsLoaded ? open.some((a) => a.acknowledgedAt === null) : count > 0;
  const onAlarms = location.pathname.startsWith('/alarms');
  const onPlans = location.pathname.startsWith('/plans');
  const onReports = location.pathname.startsWith('/reports');
  const onStations = !onAlarms && !onPlans && !onReports;
  fill(
    el,
    h('a', { href: '/', class: `tab${onStations ? ' active' : ''}`, 'data-link': true, 'data-tab': 'stations', 'aria-current': onStations ? 'page' : undefined }, t('nav.stations')),
    h('a', { href: '/plans', class: `tab${onPlans ? ' active' : ''}`, 'data-link': true, 'data-tab': 'plans', 'aria-current': onPlans ? 'page' : undefined }, t('nav.plans')),
    h(
      'a',
      { href: '/alarms', class: `tab${onAlarms ? ' active' : ''}`, 'data-link': true, 'data-tab': 'alarms', 'aria-current': onAlarms ? 'page' : undefined },
      t('nav.alarms'),
      count > 0 &&
        h('span', { class: `count${unacknowledged ? ' unacked' : ''}`, 'data-count': count, 'aria-label': t('nav.alarmCount', { n: count }) }, count),
    ),
    h('a', { href: '/reports', class: `tab${onReports ? ' active' : ''}`, 'data-link': true, 'data-tab': 'reports', 'aria-current': onReports ? 'page' : undefined }, t('nav.reports')),
  );
}

export function renderBanners(el: HTMLElement): void {
  const banners = [];
  if (!store.networkUp) banners.push(h('div', { class: 'banner offline', role: 'status' }, t('banner.offline')));
  else if (store.streamDown) banners.push(h('div', { class: 'banner stream-down', role: 'status' }, t('banner.streamDown')));
  fill(el, banners);
}
