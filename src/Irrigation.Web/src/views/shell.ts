// The frame around every signed-in page: title, user and role, language switch, sign-out, connection banners.
import { h, fill } from '../dom';
import { lang, setLang, t, type MessageKey } from '../i18n';
import { store } from '../store';

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

export function renderBanners(el: HTMLElement): void {
  const banners = [];
  if (!store.networkUp) banners.push(h('div', { class: 'banner offline', role: 'status' }, t('banner.offline')));
  else if (store.streamDown) banners.push(h('div', { class: 'banner stream-down', role: 'status' }, t('banner.streamDown')));
  fill(el, banners);
}
