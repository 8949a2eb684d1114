// Sign-in: user name and password; refusals shown by their translated problem code.
import { api, type User } from '../api';
import { h, fill } from '../dom';
import { t } from '../i18n';
import { problemText } from './commandText';
import { langButton } from './shell';

export function renderLogin(root: HTMLElement, onSignedIn: (user: User) => void): void {
  const render = (): void => {
    const error = h('p', { class: 'error', role: 'alert' });
    const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const submit = h('button', { type: 'submit', class: 'button primary wide' }, t('login.submit'));
    const form = h(
      'form',
      { class: 'login-form', novalidate: true },
      h('label', { for: 'username' }, t('login.username')),
      username,
      h('label', { for: 'password' }, t('login.password')),
      password,
      error,
      submit,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!username.value || !password.value) return;
      submit.disabled = true;
      submit.textContent = t('login.busy');
      error.textContent = '';
      api.login(username.value.trim(), password.value).then(onSignedIn, (err: unknown) => {
        error.textContent = problemText(err);
        error.dataset.code = (err as { code?: string }).code ?? '';
        submit.disabled = false;
        submit.textContent = t('login.submit');
        password.select();
      });
    });
    fill(root, h('main', { class: 'login' }, h('div', { class: 'login-top' }, langButton(render)), h('h1', null, t('app.title')), h('h2', null, t('login.title')), form));
    username.focus();
  };
  render();
}
