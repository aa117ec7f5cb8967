import { expect } from 'chai';
import { englishPlural, render, russianPlural } from '../../src/i18n/catalogue.js';
import { en, type Catalogue, type MessageKey } from '../../src/i18n/en.js';
import { issueWording, Message, text, wordBody, zodError } from '../../src/i18n/translate.js';
import { z } from 'zod';
import { ru } from '../../src/i18n/ru.js';
import { api, bearer, makeUser, PASSWORD } from '../support/app.js';
import fs from 'node:fs';
import path from 'node:path';

const KEYS = Object.keys(en) as MessageKey[];

/** Sample arguments for every placeholder the catalogue uses. */
const ARGS = {
  max_length: 150,
  input_type: 'str',
  code_point: 'D800',
  slug_name: 'name',
  value: 'x=y',
  datatype: 'list',
  length: 300,
  max_bytes: 10,
  detail: 'Expecting value: line 1 column 1 (char 0)',
  method: 'PUT',
  media_type: 'text/plain',
  wait: 5,
  origin: 'https://evil.example',
  min_length: 8,
  max_value: 100,
  min_value: 0,
  max_digits: 8,
  max_decimal_places: 2,
  max_whole_digits: 6,
  format: 'YYYY-MM-DD',
  pk_value: '9',
  data_type: 'str',
  model_name: 'project',
  field_label: 'name',
  host: 'evil.example:8000',
  domain: 'evil.example',
  username: 'username',
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('message catalogues', () => {
  it('render every key in both languages, Russian differing from English unless no catalogue translates it', () => {
    for (const key of KEYS) {
      const english = text(key, ARGS).in('en');
      expect(english, key).to.not.match(/\{\w+\}/);
      expect(String(text(key, ARGS)), key).to.equal(english);
      const russian = text(key, ARGS).in('ru');
      if (ru[key] === null) expect(russian, key).to.equal(english);
      else {
        expect(russian, key).to.not.equal(english);
        expect(russian, key).to.not.match(/\{\w+\}/);
      }
    }
  });

  it("carry every message through a zod schema as its key and arguments, and zod's own texts as they are", () => {
    for (const key of KEYS) {
      const result = z.string({ error: zodError(text(key, ARGS)) }).safeParse(1);
      const carried = issueWording(result.error!.issues[0]!.message);
      expect(carried, key).to.be.instanceOf(Message);
      expect((carried as Message).key, key).to.equal(key);
      expect((carried as Message).in('ru'), key).to.equal(text(key, ARGS).in('ru'));
    }
    expect(issueWording('Invalid input')).to.equal('Invalid input');
  });

  it('word a body in the language asked, messages in arguments too, and leave codes and other texts alone', () => {
    const body = {
      detail: text('uniqueField', { model_name: text('groupVerboseName'), field_label: text('nameVerboseName') }),
      code: 'token_not_valid',
      name: [text('required'), 'a parser reason'],
      messages: [{ token_class: 'AccessToken', message: text('tokenBlacklisted') }],
    };
    expect(JSON.parse(JSON.stringify(wordBody(body, 'en')))).to.deep.equal({
      detail: 'group with this name already exists.',
      code: 'token_not_valid',
      name: ['This field is required.', 'a parser reason'],
      messages: [{ token_class: 'AccessToken', message: 'Token is blacklisted' }],
    });
    expect(wordBody(body, 'ru')).to.deep.equal({
      detail: text('uniqueField', {
        model_name: ru.groupVerboseName as string,
        field_label: ru.nameVerboseName as string,
      }).in('ru'),
      code: 'token_not_valid',
      name: ['Обязательное поле.', 'a parser reason'],
      messages: [{ token_class: 'AccessToken', message: ru.tokenBlacklisted }],
    });
    expect(wordBody(body, 'ru').detail).to.not.include('group');
  });

  it('use every key somewhere in src/', () => {
    const source = sourceFiles('src')
      .filter((file) => !file.includes(`${path.sep}i18n${path.sep}`))
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');
    const unused = KEYS.filter((key) => !source.includes(`'${key}'`));
    expect(unused).to.deep.equal([]);
  });

  it('refuse, at compile time, a key missing from a language and a message no catalogue has (npm run typecheck fails without the errors below)', () => {
    const { required: _dropped, ...withoutRequired } = ru;
    // @ts-expect-error -- every language gives every key, `null` where it sends the English
    const incomplete: Catalogue = withoutRequired;
    // @ts-expect-error -- a key is the catalogue's, a typo is no message
    const typo = () => text('requried');
    expect(incomplete).to.not.have.property('required');
    expect(typo).to.be.a('function');
  });

  it("choose plural forms by the catalogues' rules", () => {
    expect([1, 2, 5, 11, 21, 22, 25, 111].map(russianPlural)).to.deep.equal([0, 1, 2, 2, 0, 1, 2, 2]);
    expect([1, 2, 21].map(englishPlural)).to.deep.equal([0, 1, 1]);
    const short = (n: number) => render(ru.passwordTooShort!, { min_length: n });
    expect(short(1)).to.match(/ 1 символ\.$/);
    expect(short(3)).to.match(/ 3 символа\.$/);
    expect(short(8)).to.match(/ 8 символов\.$/);
    expect(text('throttled', { wait: 1 }).in('ru')).to.equal(
      'Запрос был проигнорирован. Expected available in 1 second.',
    );
    expect(text('throttled', { wait: 21 }).in('ru')).to.equal(
      'Запрос был проигнорирован. Expected available in 21 seconds.',
    );
  });
});

describe('LANGUAGE_CODE=ru end to end', () => {
  const request = () => api({ LANGUAGE_CODE: 'ru' });

  it('answers a field error, 401, 403, 404, 405, 415 and an invalid page in Russian', async () => {
    const user = await makeUser({ username: 'ivan' });
    const token = await bearer(user);
    const anonymous = await request().get('/api/users/me/');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body).to.deep.equal({ detail: 'Учетные данные не были предоставлены.' });
    expect(anonymous.headers['content-language']).to.equal(undefined);
    const forbidden = await request().get('/api/users/').set('Authorization', token);
    expect(forbidden.body).to.deep.equal({ detail: 'У вас недостаточно прав для выполнения данного действия.' });
    const missing = await request().get('/api/nothing-here/');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'Страница не найдена.' });
    const method = await request().put('/api/token/').send({});
    expect(method.body).to.deep.equal({ detail: 'Метод "PUT" не разрешен.' });
    const media = await request().post('/api/token/').set('Content-Type', 'text/plain').send('x');
    expect(media.status).to.equal(415);
    expect(media.body).to.deep.equal({ detail: 'Неподдерживаемый тип данных "text/plain" в запросе.' });
    const field = await request().post('/api/token/').send({ username: 'ivan' });
    expect(field.body).to.deep.equal({ password: ['Обязательное поле.'] });
    const page = await request().get('/api/groups/?page=99').set('Authorization', token);
    if (page.status === 404) expect(page.body).to.deep.equal({ detail: 'Неправильная страница' });
  });

  it('answers login failures, token errors and weak passwords in Russian', async () => {
    const user = await makeUser({ username: 'olga' });
    const login = await request().post('/api/token/').send({ username: 'olga', password: 'wrong' });
    expect(login.status).to.equal(401);
    expect(login.body).to.deep.equal({ detail: 'Не найдено активной учетной записи с указанными данными' });
    const verify = await request().post('/api/token/verify/').send({ token: 'garbage' });
    expect(verify.body).to.deep.equal({ detail: 'Токен недействителен или просрочен', code: 'token_not_valid' });
    const access = await request().get('/api/users/me/').set('Authorization', 'Bearer garbage');
    expect(access.body.detail).to.equal('Данный токен недействителен для любого типа токена');
    expect(access.body.messages[0]).to.deep.include({
      token_type: 'access',
      message: 'Токен недействителен или просрочен',
    });
    const weak = await request()
      .post('/api/users/me/password/')
      .set('Authorization', await bearer(user))
      .send({ old_password: PASSWORD, new_password: '1234' });
    expect(weak.status).to.equal(400);
    expect(weak.body.new_password).to.deep.equal([
      'Введённый пароль слишком короткий. Он должен содержать как минимум 8 символов.',
      'Введённый пароль слишком широко распространён.',
      'Введённый пароль состоит только из цифр.',
    ]);
  });
});

describe('Accept-Language negotiation (LANGUAGES=en,ru)', () => {
  it('chooses by q-values, falls back to LANGUAGE_CODE, and says so in Content-Language and Vary', async () => {
    const app = () => api({ LANGUAGES: 'en,ru' });
    const russian = await app().get('/api/users/me/').set('Accept-Language', 'fr, ru-RU;q=0.8, en;q=0.5');
    expect(russian.body.detail).to.equal('Учетные данные не были предоставлены.');
    expect(russian.headers['content-language']).to.equal('ru');
    expect(russian.headers.vary).to.match(/Accept-Language/);
    const fallback = await app().get('/api/users/me/').set('Accept-Language', 'de');
    expect(fallback.body.detail).to.equal('Authentication credentials were not provided.');
    expect(fallback.headers['content-language']).to.equal('en');
    const none = await app().get('/api/users/me/');
    expect(none.headers['content-language']).to.equal('en');
  });
});
