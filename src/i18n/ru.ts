/**
 * The Russian catalogue: the `msgstr` that a Django 3.2 / DRF 3.14 / simplejwt 5.2 backend with
 * `LANGUAGE_CODE = 'ru'` finds for each English message, to the letter (typos and all). Django
 * looks a msgid up in its merged catalogue first — its own `ru`, the installed apps' (DRF's and
 * simplejwt's `ru_RU`, which Python's gettext prefers to `ru`, and Django's auth `ru`) — then in
 * DRF's `ru` as a fallback. `null` marks a message no catalogue translates: gettext sends the
 * English msgid, and so does this API. `test/i18n/sources.test.ts` holds every entry to the
 * Debian packages' files. Licenses: `ru.LICENSE`.
 *
 * @module
 */
import { englishPlural, plural, russianPlural } from './catalogue.js';
import type { Catalogue } from './en.js';

/** Every message in Russian, or `null` where the original sends it in English. */
export const ru: Catalogue = {
  required: 'Обязательное поле.',
  null: 'Это поле не может быть пустым.',
  blank: 'Это поле не может быть пустым.',
  string: null,
  boolean: null,
  email: 'Введите правильный адрес электронной почты.',
  maxLength: 'Убедитесь, что это значение содержит не более {max_length} символов.',
  notAList: 'Ожидался list со значениями, но был получен "{input_type}".',
  listMaxLength: null,
  invalidValue: 'Введите правильное значение.',
  nullCharacters: 'Данные содержат запрещённый символ: ноль-байт',
  surrogateCharacters: null,
  doesNotExist: 'Объект с {slug_name}={value} не существует.',
  invalidData: 'Недопустимые данные. Ожидался dictionary, но был получен {datatype}.',
  integer: 'Введите правильное число.',
  number: 'Требуется численное значение.',
  maxValue: 'Убедитесь, что это значение меньше либо равно {max_value}.',
  minValue: 'Убедитесь, что это значение больше либо равно {min_value}.',
  maxDigits: 'Убедитесь, что вы ввели не более {max_digits} цифры.',
  maxDecimalPlaces: 'Убедитесь, что вы ввели не более {max_decimal_places} цифры после запятой.',
  maxWholeDigits: 'Убедитесь, что вы ввели не более {max_whole_digits} цифры перед запятой.',
  dateFormat: 'Неправильный формат date. Используйте один из этих форматов: {format}.',
  datetimeFormat: 'Неправильный формат datetime. Используйте один из этих форматов:  {format}.',
  pkDoesNotExist: 'Недопустимый первичный ключ "{pk_value}" - объект не существует.',
  pkIncorrectType: 'Некорректный тип. Ожидалось значение первичного ключа, получен {data_type}.',
  uniqueField: '{model_name} с таким {field_label} уже существует.',
  filterNumber: 'Введите число.',
  filterDate: 'Введите правильную дату.',
  filterDatetime: 'Введите правильную дату и время.',
  filterChoice: 'Выберите корректный вариант. Вашего варианта нет среди допустимых значений.',
  fileRequired: 'Ни одного файла не было отправлено.',
  fileInvalid: 'Загруженный файл не является корректным файлом.',
  fileNoName: 'Невозможно определить имя файла.',
  fileEmpty: 'Отправленный файл пуст.',
  fileNameTooLong: 'Убедитесь, что это имя файла содержит не более {max_length} символов (сейчас {length}).',
  fileTooLarge: null,
  jsonParseError: null,
  multipartParseError: null,
  notAuthenticated: 'Учетные данные не были предоставлены.',
  permissionDenied: 'У вас недостаточно прав для выполнения данного действия.',
  notFound: 'Страница не найдена.',
  methodNotAllowed: 'Метод "{method}" не разрешен.',
  unsupportedMediaType: 'Неподдерживаемый тип данных "{media_type}" в запросе.',
  // DRF formats "Expected available in {wait} seconds." before its ngettext() lookup, which then
  // misses: only "Request was throttled." is translated, the tail stays English (English plural).
  throttled: plural('wait', englishPlural, [
    'Запрос был проигнорирован. Expected available in {wait} second.',
    'Запрос был проигнорирован. Expected available in {wait} seconds.',
  ]),
  invalidPage: 'Неправильная страница',
  serverError: 'Ошибка сервера.',
  unavailable: null,
  badRequest: null,
  invalidInput: null,
  payloadTooLarge: null,
  invalidSignature: null,
  csrfNoOrigin: null,
  csrfUntrustedOrigin: null,
  noActiveAccount: 'Не найдено активной учетной записи с указанными данными',
  noActiveAccountForToken: null,
  tokenInvalid: 'Токен недействителен или просрочен',
  tokenBlacklisted: 'Токен занесен в черный список',
  tokenNotValidForAnyType: 'Данный токен недействителен для любого типа токена',
  userNotFound: 'Пользователь не найден',
  userInactive: 'Пользователь неактивен',
  badAuthorizationHeader: 'Заголовок авторизации должен содержать два значения, разделенных пробелом',
  passwordSimilarUsername: 'Введённый пароль слишком похож на имя пользователя.',
  passwordSimilarFirstName: 'Введённый пароль слишком похож на имя.',
  passwordSimilarLastName: 'Введённый пароль слишком похож на фамилия.',
  passwordSimilarEmail: 'Введённый пароль слишком похож на адрес электронной почты.',
  passwordTooShort: plural('min_length', russianPlural, [
    'Введённый пароль слишком короткий. Он должен содержать как минимум {min_length} символ.',
    'Введённый пароль слишком короткий. Он должен содержать как минимум {min_length} символа.',
    'Введённый пароль слишком короткий. Он должен содержать как минимум {min_length} символов.',
    'Введённый пароль слишком короткий. Он должен содержать как минимум {min_length} символов.',
  ]),
  passwordTooCommon: 'Введённый пароль слишком широко распространён.',
  passwordEntirelyNumeric: 'Введённый пароль состоит только из цифр.',
  wrongOldPassword: 'Ваш старый пароль введен неправильно. Пожалуйста, введите его снова.',
  invalidUsername: 'Введите правильное имя пользователя. Оно может содержать только буквы, цифры и знаки @/./+/-/_.',
  usernameTaken: 'Пользователь с таким именем уже существует.',
  groupVerboseName: 'группа',
  nameVerboseName: 'имя',
  resetInvalidValue: null,
};
