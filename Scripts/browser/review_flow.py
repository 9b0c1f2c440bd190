#!/usr/bin/python3
"""Acts on the review page as a person would, in headless Chromium driven by Selenium (Debian's
python3-selenium and chromium-driver), and prints what it saw as one JSON object.

  review_flow.py URL                 accept the first label with the keyboard, drag one point of the
                                     second and save it, reject the third, reload, and report the
                                     statuses the page shows
  review_flow.py URL --benchmark N   decide N labels in a row (accept, and every fifth reject) and
                                     report the page's own timings: key press to next label shown
  review_flow.py URL --audit         on a page started with --audit 3 --audit-images 2: accept,
                                     reject and accept the three sampled labels by keyboard, mark one
                                     missed face on the first image (m, then drag a box) and check
                                     both images (c); report the estimate the page shows
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By


def browser():
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(driver, script, timeout=20):
    """Waits until `script` returns something true and returns it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for: {script}")


def shown(driver):
    return driver.execute_script("return document.body.dataset.labelId")


def press(driver, key):
    ActionChains(driver).send_keys(key).perform()


def after_decision(driver, previous):
    """Waits for the page to say saved and show another label; returns that label's id."""
    wait(driver, "return document.getElementById('message').className === 'saved'")
    return wait(driver, f"return document.body.dataset.labelId !== '{previous}' && document.body.dataset.labelId")


def flow(driver, url):
    driver.get(url)
    wait(driver, "return document.body.dataset.ready === 'true'")
    first = shown(driver)
    press(driver, "a")
    second = after_decision(driver, first)
    # drag one point of the label under review, then save it with the keyboard
    circle = driver.find_elements(By.CSS_SELECTOR, "circle.point.current")[0]
    zoom = driver.execute_script("return parseFloat(document.getElementById('stage').style.transform.split('scale(')[1])")
    ActionChains(driver).click_and_hold(circle).move_by_offset(12, 0).move_by_offset(12, 8).release().perform()
    wait(driver, "return document.getElementById('about').textContent.includes('points moved')")
    press(driver, "s")
    third = after_decision(driver, second)
    press(driver, "r")
    after_decision(driver, third)
    driver.refresh()
    wait(driver, "return document.body.dataset.ready === 'true'")
    statuses = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.row')].map(r => [r.dataset.id, r.querySelector('.status').textContent]))")
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return {"ids": [int(first), int(second), int(third)], "statuses": {k: statuses[k] for k in (first, second, third)},
            "dragged_px": [24 / zoom, 8 / zoom], "errors": errors}


def benchmark(driver, url, count):
    driver.get(url)
    wait(driver, "return document.body.dataset.ready === 'true'")
    current = shown(driver)
    for index in range(count):
        press(driver, "r" if index % 5 == 4 else "a")
        current = after_decision(driver, current)
    timings = sorted(driver.execute_script("return window.reviewTimings"))
    return {"decisions": len(timings), "median_ms": timings[len(timings) // 2],
            "p95_ms": timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))], "max_ms": timings[-1]}


def audit(driver, url):
    driver.get(url)
    wait(driver, "return document.body.dataset.ready === 'true'")
    decided = []
    current = shown(driver)
    for key in ["a", "r", "a"]:
        decided.append(int(current))
        press(driver, key)
        current = after_decision(driver, current)
    # the first image of the sample: mark one face no box covers, then say the image is checked
    assert current.startswith("image-"), f"expected an audit image after three labels, saw {current}"
    press(driver, "m")
    wait(driver, "return document.getElementById('about').textContent.includes('drag a box')")
    photo = driver.find_element(By.ID, "photo")
    ActionChains(driver).move_to_element_with_offset(photo, -10, -10).click_and_hold().move_by_offset(30, 30).release().perform()
    wait(driver, "return document.getElementById('message').textContent === 'saved: missed face marked'")
    press(driver, "c")
    current = after_decision(driver, current)
    press(driver, "c")
    wait(driver, "return document.getElementById('progress').textContent.includes('2 images checked')")
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return {"labels": decided, "progress": driver.execute_script("return document.getElementById('progress').textContent"),
            "errors": errors}


def main():
    url = sys.argv[1]
    driver = browser()
    try:
        if len(sys.argv) > 3 and sys.argv[2] == "--benchmark":
            result = benchmark(driver, url, int(sys.argv[3]))
        elif len(sys.argv) > 2 and sys.argv[2] == "--audit":
            result = audit(driver, url)
        else:
            result = flow(driver, url)
    finally:
        driver.quit()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
