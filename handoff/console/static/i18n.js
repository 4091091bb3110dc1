export function lang() { return localStorage.getItem("console.lang") === "zh" ? "zh" : "en"; }
