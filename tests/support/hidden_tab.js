// Loaded into the console before its own scripts (Playwright's add_init_script):
// headless Chromium never hides a tab, so the test hides it the way the page sees it
// (visibilityState and the visibilitychange event), and records the notifications the
// page raises while still raising them through the real Notification API.
(() => {
  let hidden = false;
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { get: () => hidden });
  const notifications = [];
  const asked = []; // for each permission request: was it during a user gesture?
  const Real = window.Notification;
  if (Real) {
    window.Notification = class extends Real {
      constructor(title, options = {}) {
        super(title, options);
        notifications.push({ title, body: options.body || "", tag: options.tag || "", at: Date.now() });
      }
    };
    window.Notification.requestPermission = (...args) => {
      asked.push(navigator.userActivation.isActive);
      return Real.requestPermission(...args);
    };
  }
  const flip = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.testTab = { notifications, asked, hide: () => flip(true), show: () => flip(false) };
})();
