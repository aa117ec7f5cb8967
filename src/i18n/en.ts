/**
 * The English catalogue: every message the API sends and the admin shows, keyed, in the words of
 * DRF, Django and simplejwt (their msgids) or, for the few that are this project's own, in
 * English. The key set is the catalogue's type: the other languages must give every key. Adding a
 * message is one entry here, its translations (the compiler asks for them) and its use,
 * `text('key', args)`.
 *
 * @module
 */
import { englishPlural, plural, type Template } from './catalogue.js';

/** Every message, by key; placeholders are `{name}`. */
export const en = {
  // DRF's field messages.
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  string: 'Not a valid string.',
  boolean: 'Must be a valid boolean.',
  email: 'Enter a valid email address.',
  maxLength: 'Ensure this field has no more than {max_length} characters.',
  notAList: 'Expected a list of items but got type "{input_type}".',
  listMaxLength: 'Ensure this field has no more than {max_length} elements.',
  invalidValue: 'Invalid value.',
  nullCharacters: 'Null characters are not allowed.',
  surrogateCharacters: 'Surrogate characters are not allowed: U+{code_point}.',
  doesNotExist: 'Object with {slug_name}={value} does not exist.',
  invalidData: 'Invalid data. Expected a dictionary, but got {datatype}.',
  // DRF's number, date, time and relation fields, and Django's unique check.
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  maxValue: 'Ensure this value is less than or equal to {max_value}.',
  minValue: 'Ensure this value is greater than or equal to {min_value}.',
  maxDigits: 'Ensure that there are no more than {max_digits} digits in total.',
  maxDecimalPlaces: 'Ensure that there are no more than {max_decimal_places} decimal places.',
  maxWholeDigits: 'Ensure that there are no more than {max_whole_digits} digits before the decimal point.',
  dateFormat: 'Date has wrong format. Use one of these formats instead: {format}.',
  datetimeFormat: 'Datetime has wrong format. Use one of these formats instead: {format}.',
  pkDoesNotExist: 'Invalid pk "{pk_value}" - object does not exist.',
  pkIncorrectType: 'Incorrect type. Expected pk value, received {data_type}.',
  uniqueField: '{model_name} with this {field_label} already exists.',
  // django-filter's form fields.
  filterNumber: 'Enter a number.',
  filterDate: 'Enter a valid date.',
  filterDatetime: 'Enter a valid date/time.',
  filterChoice: 'Select a valid choice. That choice is not one of the available choices.',
  // DRF's `FileField`.
  fileRequired: 'No file was submitted.',
  fileInvalid: 'The submitted data was not a file. Check the encoding type on the form.',
  fileNoName: 'No filename could be determined.',
  fileEmpty: 'The submitted file is empty.',
  fileNameTooLong: 'Ensure this filename has at most {max_length} characters (it has {length}).',
  fileTooLarge: 'The file exceeds the upload limit of {max_bytes} bytes.',
  // DRF's exceptions and parsers.
  jsonParseError: 'JSON parse error - {detail}',
  multipartParseError: 'Multipart form parse error - {detail}',
  notAuthenticated: 'Authentication credentials were not provided.',
  permissionDenied: 'You do not have permission to perform this action.',
  notFound: 'Not found.',
  methodNotAllowed: 'Method "{method}" not allowed.',
  unsupportedMediaType: 'Unsupported media type "{media_type}" in request.',
  throttled: plural('wait', englishPlural, [
    'Request was throttled. Expected available in {wait} second.',
    'Request was throttled. Expected available in {wait} seconds.',
  ]),
  invalidPage: 'Invalid page.',
  serverError: 'A server error occurred.',
  unavailable: 'Service temporarily unavailable.',
  badRequest: 'Bad request.',
  invalidInput: 'Invalid input.',
  payloadTooLarge: 'Request body is too large.',
  invalidSignature: 'This link is invalid or has expired.',
  // Django's `DisallowedHost` (in debug) and the answer without debug.
  disallowedHost: "Invalid HTTP_HOST header: '{host}'. You may need to add '{domain}' to ALLOWED_HOSTS.",
  disallowedHostDomain:
    "Invalid HTTP_HOST header: '{host}'. The domain name provided is not valid according to RFC 1034/1035.",
  invalidHost: 'Invalid host header.',
  csrfNoOrigin: 'CSRF Failed: Origin checking failed - no Origin or Referer header.',
  csrfUntrustedOrigin: 'CSRF Failed: Origin checking failed - {origin} does not match any trusted origins.',
  // simplejwt.
  noActiveAccount: 'No active account found with the given credentials',
  noActiveAccountForToken: 'No active account found for the given token.',
  tokenInvalid: 'Token is invalid or expired',
  tokenBlacklisted: 'Token is blacklisted',
  tokenNotValidForAnyType: 'Given token not valid for any token type',
  userNotFound: 'User not found',
  userInactive: 'User is inactive',
  badAuthorizationHeader: 'Authorization header must contain two space-delimited values',
  // Django's auth: password validators, forms, the user and group models.
  passwordSimilarUsername: 'The password is too similar to the username.',
  passwordSimilarFirstName: 'The password is too similar to the first name.',
  passwordSimilarLastName: 'The password is too similar to the last name.',
  passwordSimilarEmail: 'The password is too similar to the email address.',
  passwordTooShort: plural('min_length', englishPlural, [
    'This password is too short. It must contain at least {min_length} character.',
    'This password is too short. It must contain at least {min_length} characters.',
  ]),
  passwordTooCommon: 'This password is too common.',
  passwordEntirelyNumeric: 'This password is entirely numeric.',
  wrongOldPassword: 'Your old password was entered incorrectly. Please enter it again.',
  invalidUsername: 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  usernameTaken: 'A user with that username already exists.',
  // Django's verbose names of the group model and its fields, which `uniqueField` composes with
  // (`group with this name already exists.`) and which are translated where it is.
  groupVerboseName: 'group',
  nameVerboseName: 'name',
  // The password reset (dj-rest-auth's wording).
  resetInvalidValue: 'Invalid value',
  resetRequested: 'Password reset e-mail has been sent.',
  resetDone: 'Password has been reset with the new password.',
  // The admin's pages: Django's admin and auth forms where they have the message, else its own.
  adminLoginFailed:
    'Please enter the correct {username} and password for a staff account. Note that both fields may be case-sensitive.',
  usernameVerboseName: 'username',
  passwordMismatch: 'The two password fields didn’t match.',
  csrfTokenMissing: 'CSRF Failed: CSRF token missing.',
  csrfTokenIncorrect: 'CSRF Failed: CSRF token incorrect.',
  adminSessionEnded: 'Your admin session has ended; log in again.',
  pageNotFound: 'The requested page was not found.',
  noneSelected: 'Items must be selected in order to perform actions on them. No items have been changed.',
  noticeCreated: 'The object was added successfully.',
  noticeSaved: 'The changes were saved.',
  noticeDeleted: 'The object was deleted.',
  noticePassword: 'The password was changed; the user was logged out everywhere.',
  noticeDeactivated: 'The user was deactivated; their sessions stopped working.',
  noticeLoggedOut: 'Every token of the user was blacklisted; their next API request is refused.',
  noticeBlacklisted: 'The selected tokens and their sessions were blacklisted.',
  noticeResetSent: 'A password reset link is on its way to the user’s email address.',
  noticeResetNotSent: 'No reset link was sent: the user is inactive, has no email address or no usable password.',
} as const satisfies Record<string, Template>;

/** The key of a message. */
export type MessageKey = keyof typeof en;

/** A catalogue of another language: every key, `null` where no source catalogue translates it. */
export type Catalogue = { readonly [K in MessageKey]: Template | null };
